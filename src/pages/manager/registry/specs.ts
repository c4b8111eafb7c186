// The registry's lists as resource specs: columns, form fields and the body each API takes. Codes (status,
// protocol, licence class, language) are shown through the dictionary.
import type {
  Attendant,
  Bus,
  Device,
  Driver,
  GuardianWithStudents,
  RouteWithStops,
  School,
  Student,
  StudentWithLinks,
  Trip,
} from '../../../http/contract';
import { h } from '../../shared/dom';
import type { RegistryCtx } from './ctx';
import { zonedIso, zonedParts } from './ctx';
import type { Field } from './form';
import type { ResourceSpec, Row } from './resource';

const LICENCE_CLASSES = ['A1', 'A2', 'A3', 'B1', 'B2', 'C1', 'C2'];
const SCHOOL_KINDS = ['kindergarten', 'primary', 'secondary', 'other'];
const LANGUAGES = ['zh-CN', 'en'];

/** The school field: a choice when the manager has several schools, else the one school (no field). */
function schoolField(ctx: RegistryCtx, row: Row | undefined): Field[] {
  if (row || ctx.schools.length < 2) return [];
  return [
    {
      key: 'schoolId',
      label: ctx.i18n.t('col.school'),
      type: 'select',
      required: true,
      numeric: true,
      options: ctx.schools.map((s) => [String(s.id), s.name]),
    },
  ];
}
/** On create, the one school when there is no choice. */
const withSchool = (ctx: RegistryCtx, values: Record<string, unknown>, row: Row | undefined) =>
  row || values.schoolId != null ? values : { ...values, schoolId: ctx.schools[0]?.id };

const schoolName = (ctx: RegistryCtx, id: number) => ctx.schools.find((s) => s.id === id)?.name ?? `#${id}`;
const schoolCol = (ctx: RegistryCtx): [string, (r: Row) => string][] =>
  ctx.schools.length > 1 ? [[ctx.i18n.t('col.school'), (r) => schoolName(ctx, r.schoolId)]] : [];

export function busSpec(ctx: RegistryCtx): ResourceSpec {
  const t = ctx.i18n.t;
  return {
    path: 'buses',
    title: t('buses'),
    newLabel: t('reg.newBus'),
    editLabel: (b) => t('editBus', { plate: b.plate }),
    deleteLabel: (b) => t('reg.deleteBus', { plate: b.plate }),
    deleteQuestion: (b) => t('reg.deleteBusQ', { plate: b.plate }),
    conflictField: 'plate',
    columns: [
      [t('col.plate'), (b) => b.plate],
      ...schoolCol(ctx),
      [t('capacity'), (b) => b.approvedCapacity],
      [t('signValid'), (b) => b.signValidUntil],
      [t('inspectionValid'), (b) => b.inspectionValidUntil],
      [t('col.busStatus'), (b) => t(`busStatus.${b.status}`)],
    ],
    fields: (b) => [
      ...schoolField(ctx, b),
      { key: 'plate', label: t('col.plate'), type: 'text', required: true, value: b?.plate },
      { key: 'approvedCapacity', label: t('capacity'), type: 'number', required: true, value: b?.approvedCapacity },
      { key: 'seats', label: t('reg.seats'), type: 'number', value: b?.seats },
      { key: 'signNumber', label: t('reg.signNumber'), type: 'text', value: b?.signNumber },
      { key: 'signValidUntil', label: t('signValid'), type: 'date', value: b?.signValidUntil },
      { key: 'inspectionValidUntil', label: t('inspectionValid'), type: 'date', value: b?.inspectionValidUntil },
      {
        key: 'status',
        label: t('col.busStatus'),
        type: 'select',
        required: true,
        value: b?.status ?? 'active',
        options: ['active', 'maintenance', 'retired'].map((s) => [s, t(`busStatus.${s}`)]),
      },
    ],
    body: (v, b) => withSchool(ctx, v, b),
    // The list shown is the page's own bus list (ctx.buses): it already holds the change; other lists are kept in step.
    changed: (row, removed) => {
      const i = removed ? ctx.buses.indexOf(removed as Bus) : -1;
      if (i >= 0) ctx.buses.splice(i, 1);
      else if (row && !removed && !ctx.buses.includes(row as Bus)) ctx.buses.push(row as Bus);
    },
  };
}

export function driverSpec(ctx: RegistryCtx): ResourceSpec {
  const t = ctx.i18n.t;
  return {
    path: 'drivers',
    title: t('drivers'),
    newLabel: t('reg.newDriver'),
    editLabel: (d) => t('editDriver', { name: d.name }),
    deleteLabel: (d) => t('reg.deleteDriver', { name: d.name }),
    deleteQuestion: (d) => t('reg.deleteDriverQ', { name: d.name }),
    columns: [
      [t('name'), (d) => d.name],
      ...schoolCol(ctx),
      [t('phone'), (d) => d.phone],
      [t('reg.licenceClass'), (d) => d.licenceClass],
      [t('licenceValid'), (d) => d.licenceValidUntil],
      [t('certExpiry'), (d) => d.qualificationCertExpiry],
    ],
    fields: (d) => [
      ...schoolField(ctx, d),
      { key: 'name', label: t('name'), type: 'text', required: true, value: d?.name },
      { key: 'phone', label: t('phone'), type: 'tel', value: d?.phone },
      { key: 'birthDate', label: t('reg.birthDate'), type: 'date', required: true, value: d?.birthDate },
      {
        key: 'licenceClass',
        label: t('reg.licenceClass'),
        type: 'select',
        required: true,
        value: d?.licenceClass ?? 'A1',
        options: LICENCE_CLASSES.map((c) => [c, c]),
      },
      {
        key: 'licenceFirstIssued',
        label: t('reg.licenceFirstIssued'),
        type: 'date',
        required: true,
        value: d?.licenceFirstIssued,
      },
      { key: 'licenceValidUntil', label: t('licenceValid'), type: 'date', value: d?.licenceValidUntil },
      {
        key: 'schoolBusEndorsement',
        label: t('reg.endorsement'),
        type: 'checkbox',
        value: d?.schoolBusEndorsement ?? false,
      },
      { key: 'qualificationCertNo', label: t('reg.certNo'), type: 'text', value: d?.qualificationCertNo },
      { key: 'qualificationCertExpiry', label: t('certExpiry'), type: 'date', value: d?.qualificationCertExpiry },
      { key: 'lastAnnualReview', label: t('annualReview'), type: 'date', value: d?.lastAnnualReview },
      { key: 'cardId', label: t('reg.cardId'), type: 'text', value: d?.cardId },
    ],
    body: (v, d) => withSchool(ctx, v, d),
  };
}

export function attendantSpec(ctx: RegistryCtx): ResourceSpec {
  const t = ctx.i18n.t;
  return {
    path: 'attendants',
    title: t('reg.attendants'),
    newLabel: t('reg.newAttendant'),
    editLabel: (a) => t('reg.editAttendant', { name: a.name }),
    deleteLabel: (a) => t('reg.deleteAttendant', { name: a.name }),
    deleteQuestion: (a) => t('reg.deleteAttendantQ', { name: a.name }),
    columns: [
      [t('name'), (a) => a.name],
      ...schoolCol(ctx),
      [t('phone'), (a) => a.phone],
      [t('reg.trainingValid'), (a) => a.trainingValidUntil],
    ],
    fields: (a) => [
      ...schoolField(ctx, a),
      { key: 'name', label: t('name'), type: 'text', required: true, value: a?.name },
      { key: 'phone', label: t('phone'), type: 'tel', value: a?.phone },
      { key: 'trainingValidUntil', label: t('reg.trainingValid'), type: 'date', value: a?.trainingValidUntil },
    ],
    body: (v, a) => withSchool(ctx, v, a),
  };
}

export function deviceSpec(ctx: RegistryCtx, actions: ResourceSpec['actions']): ResourceSpec {
  const t = ctx.i18n.t;
  const plate = (id: number | null) =>
    id == null ? t('reg.none') : (ctx.buses.find((b) => b.id === id)?.plate ?? `#${id}`);
  const busOptions = (): [string, string][] => ctx.buses.map((b) => [String(b.id), b.plate]);
  const label = (d: Row) => d.label ?? d.identifier;
  return {
    path: 'devices',
    title: t('devices'),
    newLabel: t('reg.newDevice'),
    editLabel: (d) => t('reg.editDevice', { id: label(d) }),
    deleteLabel: (d) => t('reg.deleteDevice', { id: label(d) }),
    deleteQuestion: (d) => t('reg.deleteDeviceQ', { id: label(d) }),
    conflictField: 'identifier',
    columns: [
      [t('col.device'), (d) => h('code', null, d.identifier)],
      [t('col.protocol'), (d) => t(`reg.protocol.${d.protocol}`)],
      [t('col.bus'), (d) => plate(d.busId)],
      [t('reg.label'), (d) => d.label],
      [t('col.secret'), (d) => (d.hasSecret ? t('reg.set') : t('reg.notSet'))],
    ],
    fields: (d) => [
      ...schoolField(ctx, d),
      ...(d
        ? []
        : [
            {
              key: 'protocol',
              label: t('col.protocol'),
              type: 'select',
              required: true,
              value: 'jt808',
              options: ['jt808', 'osmand', 'json'].map((p) => [p, t(`reg.protocol.${p}`)]),
            } satisfies Field,
          ]),
      {
        key: 'identifier',
        label: t('deviceIdentifier'),
        type: 'text',
        // Issued when left out of a new device; a device has one, so it cannot be emptied.
        required: d != null,
        value: d?.identifier,
        help: t('reg.identifierHelp'),
      },
      {
        key: 'secret',
        label: t('devicePassword'),
        type: 'password',
        help: d ? t('reg.secretKeep') : t('reg.secretHelp'),
      },
      {
        key: 'busId',
        label: t('col.bus'),
        type: 'select',
        nullable: true,
        numeric: true,
        value: d?.busId,
        options: busOptions(),
      },
      { key: 'label', label: t('reg.label'), type: 'text', value: d?.label },
    ],
    body: (v, d) => withSchool(ctx, v, d),
    actions,
  };
}

export function studentSpec(ctx: RegistryCtx, routes: RouteWithStops[]): ResourceSpec {
  const t = ctx.i18n.t;
  /** "Route 1: East gate" for each route the student rides. */
  const stopsText = (stops: { routeId: number; stopId: number }[] | undefined) =>
    stops?.length
      ? stops
          .map(({ routeId, stopId }) => {
            const r = routes.find((x) => x.id === routeId);
            const st = r?.stops.find((x) => x.id === stopId);
            return t('reg.stopOnRoute', { route: r?.name ?? `#${routeId}`, stop: st?.name ?? `#${stopId}` });
          })
          .join(t('reg.sep'))
      : null;
  return {
    path: 'students',
    title: t('reg.students'),
    newLabel: t('reg.newStudent'),
    editLabel: (s) => t('reg.editStudent', { name: s.name }),
    deleteLabel: (s) => t('reg.deleteStudent', { name: s.name }),
    deleteQuestion: (s) => t('reg.deleteStudentQ', { name: s.name }),
    conflictField: 'cardId',
    columns: [
      [t('name'), (s) => s.name],
      ...schoolCol(ctx),
      [t('reg.grade'), (s) => s.grade],
      [t('reg.cardId'), (s) => s.cardId],
      [t('reg.stops'), (s) => stopsText(s.stops)],
    ],
    fields: (s) => [
      ...schoolField(ctx, s),
      { key: 'name', label: t('name'), type: 'text', required: true, value: s?.name },
      { key: 'grade', label: t('reg.grade'), type: 'text', value: s?.grade },
      { key: 'cardId', label: t('reg.cardId'), type: 'text', value: s?.cardId },
    ],
    // The stop on each route: one choice per route of the student's school.
    formExtras: async (s) => {
      const full = s ? await ctx.api.get<StudentWithLinks>(`/api/v1/students/${s.id}`) : undefined;
      const schoolId = (s as Student | undefined)?.schoolId;
      const mine = routes.filter((r) => schoolId == null || r.schoolId === schoolId);
      const selects = mine.map((r) => {
        const id = `reg-stop-${r.id}`;
        const current = full?.stops.find((x) => x.routeId === r.id)?.stopId;
        const sel = h(
          'select',
          { id, 'data-route': r.id },
          h('option', { value: '' }, t('reg.noStop')),
          r.stops.map((st) =>
            h(
              'option',
              { value: st.id, selected: st.id === current },
              st.scheduledTime
                ? `${st.sequence}. ${st.name} (${st.scheduledTime.slice(0, 5)})`
                : `${st.sequence}. ${st.name}`,
            ),
          ),
        );
        return [r, sel] as const;
      });
      const err = h('p', { class: 'field-error', id: 'reg-stops-err', hidden: true });
      const extra = h(
        'fieldset',
        { class: 'card reg-stops', 'aria-describedby': 'reg-stops-err' },
        h('legend', null, t('reg.stops')),
        mine.length
          ? h(
              'div',
              { class: 'form-grid' },
              selects.map(([r, sel]) =>
                h('div', { class: 'field' }, h('label', { for: sel.id }, t('reg.stopOn', { route: r.name })), sel),
              ),
            )
          : h('p', { class: 'muted' }, t('reg.noRoutes')),
        err,
      );
      return {
        extra,
        extraFieldTypes: { stops: 'select' },
        extraErrorSlot: (key: string) => (key === 'stops' ? err : undefined),
        extraValues: () => ({
          stops: selects
            .filter(([, sel]) => sel.value !== '')
            .map(([r, sel]) => ({ routeId: r.id, stopId: Number(sel.value) })),
        }),
      };
    },
    body: (v, s) => withSchool(ctx, v, s),
  };
}

export function guardianSpec(ctx: RegistryCtx, students: Student[], actions: ResourceSpec['actions']): ResourceSpec {
  const t = ctx.i18n.t;
  return {
    path: 'guardians',
    title: t('reg.guardians'),
    newLabel: t('reg.newGuardian'),
    editLabel: (g) => t('reg.editGuardian', { name: g.name }),
    deleteLabel: (g) => t('reg.deleteGuardian', { name: g.name }),
    deleteQuestion: (g) => t('reg.deleteGuardianQ', { name: g.name }),
    columns: [
      [t('name'), (g) => g.name],
      ...schoolCol(ctx),
      [t('phone'), (g) => g.phone],
      [t('reg.language'), (g) => t(`reg.locale.${g.locale}`)],
      [
        t('reg.children'),
        (g) =>
          (g.studentIds as number[] | undefined)
            ?.map((id) => students.find((s) => s.id === id)?.name ?? `#${id}`)
            .join(t('reg.sep')) || null,
      ],
    ],
    fields: async (g) => {
      const full = g ? await ctx.api.get<GuardianWithStudents>(`/api/v1/guardians/${g.id}`) : undefined;
      return [
        ...schoolField(ctx, g),
        { key: 'name', label: t('name'), type: 'text', required: true, value: g?.name },
        { key: 'phone', label: t('phone'), type: 'tel', value: g?.phone },
        {
          key: 'locale',
          label: t('reg.language'),
          type: 'select',
          required: true,
          value: g?.locale ?? 'zh-CN',
          options: ['zh-CN', 'en'].map((l) => [l, t(`reg.locale.${l}`)]),
        },
        {
          key: 'studentIds',
          label: t('reg.children'),
          type: 'checks',
          numeric: true,
          value: full?.studentIds ?? [],
          options: students
            .filter((s) => !g || s.schoolId === g.schoolId)
            .map((s) => [String(s.id), s.grade ? `${s.name}（${s.grade}）` : s.name]),
        },
      ];
    },
    body: (v, g) => withSchool(ctx, v, g),
    actions,
  };
}

export function tripSpec(
  ctx: RegistryCtx,
  lists: { routes: RouteWithStops[]; drivers: Driver[]; attendants: Attendant[] },
): ResourceSpec {
  const t = ctx.i18n.t;
  const zoneOf = (schoolId: number | undefined) =>
    ctx.schools.find((s) => s.id === schoolId)?.timeZone ?? ctx.schools[0]?.timeZone ?? 'UTC';
  const routeName = (id: number) => lists.routes.find((r) => r.id === id)?.name ?? `#${id}`;
  const plate = (id: number) => ctx.buses.find((b) => b.id === id)?.plate ?? `#${id}`;
  const person = (list: { id: number; name: string }[], id: number | null) =>
    id == null ? t('reg.none') : (list.find((x) => x.id === id)?.name ?? `#${id}`);
  const label = (tr: Row) =>
    t('reg.tripName', {
      route: routeName(tr.routeId),
      date: tr.serviceDate,
      time: zonedParts(tr.plannedStartAt, zoneOf(tr.schoolId)).time,
    });
  return {
    path: 'trips',
    title: t('reg.trips'),
    newLabel: t('reg.newTrip'),
    editLabel: (tr) => t('reg.editTrip', { trip: label(tr) }),
    deleteLabel: (tr) => t('reg.deleteTrip', { trip: label(tr) }),
    deleteQuestion: (tr) => t('reg.deleteTripQ', { trip: label(tr) }),
    columns: [
      [t('reg.serviceDate'), (tr) => tr.serviceDate],
      [t('reg.startTime'), (tr) => zonedParts(tr.plannedStartAt, zoneOf(tr.schoolId)).time],
      [t('reg.route'), (tr) => routeName(tr.routeId)],
      [t('col.bus'), (tr) => plate(tr.busId)],
      [t('reg.driver'), (tr) => person(lists.drivers, tr.driverId)],
      [t('reg.attendant'), (tr) => person(lists.attendants, tr.attendantId)],
      [t('col.status'), (tr) => t(`reg.tripStatus.${tr.status}`)],
    ],
    fields: (tr) => {
      const at = tr ? zonedParts(tr.plannedStartAt, zoneOf(tr.schoolId)) : undefined;
      const fields: Field[] = [
        {
          key: 'routeId',
          label: t('reg.route'),
          type: 'select',
          required: true,
          numeric: true,
          value: tr?.routeId,
          options: lists.routes.map((r) => [String(r.id), r.name]),
        },
        {
          key: 'busId',
          label: t('col.bus'),
          type: 'select',
          required: true,
          numeric: true,
          value: tr?.busId,
          options: ctx.buses.map((b) => [String(b.id), b.plate]),
        },
        {
          key: 'driverId',
          label: t('reg.driver'),
          type: 'select',
          nullable: true,
          numeric: true,
          value: tr?.driverId,
          options: lists.drivers.map((d) => [String(d.id), d.name]),
        },
        {
          key: 'attendantId',
          label: t('reg.attendant'),
          type: 'select',
          nullable: true,
          numeric: true,
          value: tr?.attendantId,
          options: lists.attendants.map((a) => [String(a.id), a.name]),
        },
        {
          key: 'serviceDate',
          label: t('reg.serviceDate'),
          type: 'date',
          required: true,
          value: tr?.serviceDate ?? at?.date,
        },
        {
          key: 'startTime',
          label: t('reg.startTime'),
          type: 'time',
          required: true,
          value: at?.time,
          aliases: ['plannedStartAt'],
        },
      ];
      if (tr)
        fields.push({
          key: 'status',
          label: t('col.status'),
          type: 'select',
          required: true,
          value: tr.status,
          options: ['planned', 'active', 'completed', 'cancelled'].map((s) => [s, t(`reg.tripStatus.${s}`)]),
        });
      return fields;
    },
    body: (v, tr) => {
      const { startTime, ...rest } = v as { startTime?: string; serviceDate?: string; routeId?: number };
      const route = lists.routes.find((r) => r.id === rest.routeId);
      if (startTime && rest.serviceDate)
        return {
          ...rest,
          plannedStartAt: zonedIso(rest.serviceDate, startTime, zoneOf(route?.schoolId ?? tr?.schoolId)),
        };
      return rest;
    },
  };
}

export type { Bus, Device, Trip };

/**
 * The manager's schools (the page's own list, edited in place so the other views see the changes): name, kind and
 * the language of the school's reports. Schools are made and removed by an administrator, not here.
 */
export function schoolSpec(ctx: RegistryCtx): ResourceSpec {
  const t = ctx.i18n.t;
  return {
    path: 'schools',
    title: t('reg.schools'),
    editLabel: (s) => t('reg.editSchool', { name: s.name }),
    columns: [
      [t('reg.schoolName'), (s) => s.name],
      [t('reg.schoolKind'), (s) => t(`reg.schoolKind.${s.kind}`)],
      [t('reg.reportLanguage'), (s) => t(`reg.locale.${s.language}`)],
    ],
    fields: (row) => {
      const s = row as School | undefined;
      return [
        { key: 'name', label: t('reg.schoolName'), type: 'text', required: true, value: s?.name },
        {
          key: 'kind',
          label: t('reg.schoolKind'),
          type: 'select',
          required: true,
          value: s?.kind ?? 'primary',
          options: SCHOOL_KINDS.map((k) => [k, t(`reg.schoolKind.${k}`)]),
        },
        {
          key: 'language',
          label: t('reg.reportLanguage'),
          type: 'select',
          required: true,
          value: s?.language ?? 'zh-CN',
          options: LANGUAGES.map((l) => [l, t(`reg.locale.${l}`)]),
          help: t('reg.reportLanguageHelp'),
        },
      ];
    },
  };
}
