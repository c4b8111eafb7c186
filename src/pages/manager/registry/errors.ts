// Server answers in the page's words: an error envelope's code and its per-field details (zod issues with their
// bounds, reference problems, a unique value already taken) become messages next to the fields, and a sentence
// for the rest. The server's English message is never shown.
import { ApiError } from '../../shared/api';
import type { I18n } from '../../shared/i18n';

export interface FieldIssue {
  path?: string;
  code?: string;
  message?: string;
  minimum?: number;
  maximum?: number;
  origin?: string;
}

/** Unique constraints (the database's names) → the field whose value is already taken. */
const TAKEN_FIELD: Record<string, string> = {
  buses_plate_unique: 'plate',
  devices_protocol_identifier_uq: 'identifier',
  drivers_cert_uq: 'qualificationCertNo',
  drivers_card_uq: 'cardId',
  students_card_uq: 'cardId',
};

/** One issue in words (the field's kind decides between "at least 1" and "at least 1 character"). */
export function issueText(t: I18n['t'], issue: FieldIssue, fieldType?: string): string {
  const n = (x: number | undefined) => x ?? 0;
  switch (issue.code) {
    case 'too_small':
      if (issue.origin === 'string')
        return n(issue.minimum) <= 1 ? t('reg.err.required') : t('reg.err.minLength', { n: n(issue.minimum) });
      if (issue.origin === 'array' || issue.origin === 'set') return t('reg.err.minItems', { n: n(issue.minimum) });
      return issue.minimum != null ? t('reg.err.min', { n: issue.minimum }) : t('reg.err.invalid');
    case 'too_big':
      if (issue.origin === 'string') return t('reg.err.maxLength', { n: n(issue.maximum) });
      if (issue.origin === 'array' || issue.origin === 'set') return t('reg.err.maxItems', { n: n(issue.maximum) });
      return issue.maximum != null ? t('reg.err.max', { n: issue.maximum }) : t('reg.err.invalid');
    case 'invalid_type':
      return /received undefined/.test(issue.message ?? '') ? t('reg.err.required') : t('reg.err.type');
    case 'invalid_format':
    case 'invalid_string':
      return fieldType === 'date' ? t('reg.err.date') : t('reg.err.format');
    case 'invalid_value':
    case 'invalid_enum_value':
      return t('reg.err.choice');
    case 'unknown_reference':
      return t('reg.err.unknownReference');
    case 'other_school':
      return t('reg.err.otherSchool');
    case 'duplicate_route':
      return t('reg.err.duplicateRoute');
    case 'taken':
      return t('reg.err.taken');
    case 'custom':
      return fieldType === 'date' ? t('reg.err.date') : t('reg.err.invalid');
    default:
      return t('reg.err.invalid');
  }
}

/** An error without a field in words: the envelope's code through the dictionary. */
export function errorWords(t: I18n['t'], err: unknown): string {
  if (!(err instanceof ApiError)) return t('reg.err.unexpected');
  if (err.network) return t('offline');
  const key = `reg.code.${err.code}`;
  const word = t(key);
  if (word !== key) return word;
  if (err.status === 400) return t('reg.code.bad_request');
  if (err.status === 413) return t('reg.code.payload_too_large');
  if (err.status >= 500) return t('reg.code.internal');
  return t('reg.err.unexpected');
}

/**
 * Splits an API error over the form's fields: `fields` maps a field key to its message; `general` is the sentence
 * for the form (what no field explains, or "correct the marked fields").
 */
export function formErrors(
  t: I18n['t'],
  err: unknown,
  fieldTypes: Record<string, string>,
  opts: { conflictField?: string } = {},
): { fields: Record<string, string>; general: string } {
  const fields: Record<string, string> = {};
  if (err instanceof ApiError) {
    let issues: FieldIssue[] = Array.isArray(err.details) ? (err.details as FieldIssue[]) : [];
    if (err.code === 'conflict') {
      const constraint = (err.details as { constraint?: string } | undefined)?.constraint;
      const field = (constraint && TAKEN_FIELD[constraint]) || opts.conflictField;
      issues = field ? [{ path: field, code: 'taken' }] : [];
    }
    for (const issue of issues) {
      const key = String(issue.path ?? '').split('.')[0]!;
      if (key in fieldTypes && !(key in fields)) fields[key] = issueText(t, issue, fieldTypes[key]);
    }
  }
  const marked = Object.keys(fields).length > 0;
  return { fields, general: marked ? t('reg.err.form') : errorWords(t, err) };
}
