// Server answers in the page's language: error codes, refused-record reasons, boarding warnings and pre-departure
// check reasons become dictionary keys; the server's English message is never shown.
import { ApiError } from '../shared/api';

type T = (key: string, vars?: Record<string, string | number>) => string;

/** Any error from the API (or the network) as one sentence in the page's language. */
export function errorText(t: T, err: unknown): string {
  if (err instanceof ApiError) {
    if (err.network) return t('err.network');
    const key = `err.${err.code}`;
    const text = t(key);
    return text === key ? t('err.other', { status: err.status }) : text;
  }
  return t('err.other', { status: 0 });
}

/** A refused record's reason (future_time, unknown_stop, unknown_student, or a batch-wide error code). */
export function refusedText(t: T, reason: string | undefined): string {
  const key = `refused.${reason ?? ''}`;
  const text = t(key);
  if (text !== key) return text;
  const err = t(`err.${reason ?? ''}`);
  return err === `err.${reason ?? ''}` ? t('refused.other') : err;
}

/** A pre-departure check's reason code in words (unknown codes fall back to a generic sentence). */
export function checkReasonText(t: T, reason: string, checkedIn: boolean): string {
  // R9: the trip started (the bus moved) before the check-in that is now on record.
  if (reason === 'not_checked_in' && checkedIn) return t('reason.checked_in_late');
  const key = `reason.${reason}`;
  const text = t(key);
  return text === key ? t('reason.other') : text;
}
