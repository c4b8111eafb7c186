// The one authorization policy: may this principal do this action on this object, now?
//
// The decision is pure: a principal, an action, the facts about the object (its school and the school's time
// zone, the guardians whose family it belongs to, the trips it takes part in, the devices on a bus) and the
// clock value. Loading the facts is the store's job (src/store/repos/scope.ts), and so is turning the same
// rules into the SQL that scopes a list. REST handlers, the CRUD factory, the WebSocket topics and their REST
// twins all ask here.
//
// Roles (README): admin — everything; manager — the schools assigned to them; attendant — their assigned trips
// on the trip's day (in the school's time zone), the bus, route and riders of those trips, and their own
// record; guardian — their own children and record, their children's routes, trips and buses (a bus's live
// position only on a day one of their children's trips runs on it); device — its own bus; supervisor (the
// education bureau) — reads the schools of the district (all of them, or a list), comments on and escalates cases,
// reads and generates reports (the district report when over every school), edits no registry and sees no
// child's or guardian's personal record. Every role may read the record of the school it belongs to.
import { localDate } from '../core/time-zone';
import type { Principal } from './principal';

export const objectKinds = [
  'school',
  'bus',
  'device',
  'driver',
  'attendant',
  'route',
  'student',
  'guardian',
  'trip',
  'violation',
  'report',
  'compliance',
  'inspection',
] as const;
export type ObjectKind = (typeof objectKinds)[number];

const crud = ['read', 'create', 'update', 'delete'] as const;

/**
 * The actions on each kind of object:
 * - read, create, update, delete: the registry record (a guardian's `read` also covers their notices);
 * - track: the live feed (WebSocket topic and its REST twin) of a bus or trip, or a school's violations;
 * - attend: the attendant's own work on a trip (check-in, boarding records, end-of-trip sweep);
 * - supervise: reading a trip's boarding records and resolving its sweep alert;
 * - comment, escalate: a note on a case's trail; escalating a case (挂牌督办).
 * - inspection: a school's weekly bus inspections and evacuation drills (the attendant's pre-trip check is trip work).
 */
export const actionsByKind = {
  school: crud,
  bus: [...crud, 'track'],
  device: crud,
  driver: crud,
  attendant: crud,
  route: crud,
  student: crud,
  guardian: crud,
  trip: [...crud, 'track', 'attend', 'supervise'],
  violation: ['read', 'update', 'track', 'comment', 'escalate'],
  report: ['read', 'create'],
  compliance: ['read'],
  inspection: ['read', 'create'],
} as const satisfies Record<ObjectKind, readonly string[]>;

export type ActionOn<K extends ObjectKind> = (typeof actionsByKind)[K][number];
export type Action = ActionOn<ObjectKind>;

/** One trip the object takes part in, as far as scope goes. */
export interface TripFacts {
  attendantId: number | null;
  /** YYYY-MM-DD, in the school's time zone. */
  serviceDate: string;
  /** Guardians of the children riding the trip's route. */
  family: readonly number[];
}

/**
 * What the policy needs to know about one object. Loaders may leave out what cannot concern the caller (a
 * guardian's facts list only the trips of their own children), never add to it.
 */
export interface ObjectFacts<K extends ObjectKind = ObjectKind> {
  kind: K;
  /** The owning school; null for district-wide objects (the district report). */
  schoolId: number | null;
  /** The school's IANA time zone: "the trip's day" is the service date there. */
  timeZone?: string;
  /**
   * Guardians whose family the object belongs to: a child's guardians; a guardian record's own id; the
   * guardians of the riders of a route, of a trip's route, of the routes a bus runs.
   */
  family?: readonly number[];
  /** The trip itself; a bus's, a route's trips; the trips on the routes a student rides. */
  trips?: readonly TripFacts[];
  /** An attendant record: its own id. */
  attendantId?: number;
  /** A bus: the devices mounted on it. */
  deviceIds?: readonly number[];
}

export type Decision = { ok: true } | { ok: false; reason: string };

const ALLOW: Decision = { ok: true };
const deny = (reason: string): Decision => ({ ok: false, reason });

/** How a guardian, attendant or device reaches an object (admins reach everything, managers their schools). */
export type Grant = 'member' | 'family' | 'familyToday' | 'assignedToday' | 'self' | 'mounted';

type MemberRole = 'guardian' | 'attendant' | 'device';

const grants: { [R in MemberRole]: { [K in ObjectKind]?: { [A in ActionOn<K>]?: Grant } } } = {
  guardian: {
    school: { read: 'member' },
    bus: { read: 'family', track: 'familyToday' },
    route: { read: 'family' },
    student: { read: 'family' },
    guardian: { read: 'family' },
    trip: { read: 'family', track: 'family' },
  },
  attendant: {
    school: { read: 'member' },
    bus: { read: 'assignedToday', track: 'assignedToday' },
    route: { read: 'assignedToday' },
    student: { read: 'assignedToday' },
    attendant: { read: 'self' },
    trip: { read: 'assignedToday', track: 'assignedToday', attend: 'assignedToday', supervise: 'assignedToday' },
  },
  device: {
    school: { read: 'member' },
    bus: { read: 'mounted', track: 'mounted' },
  },
};

/** What a supervisor may do on objects of the schools they oversee: read, follow and comment; no registry edits. */
const supervisorMay: { [K in ObjectKind]?: readonly ActionOn<K>[] } = {
  school: ['read'],
  bus: ['read', 'track'],
  device: ['read'],
  driver: ['read'],
  attendant: ['read'],
  route: ['read'],
  trip: ['read', 'track'],
  violation: ['read', 'track', 'comment', 'escalate'],
  report: ['read', 'create'],
  compliance: ['read'],
  inspection: ['read'],
};

/** The grant that lets a guardian, attendant or device do `action` on objects of `kind`, if any. */
export function grantOf(role: Principal['role'], kind: ObjectKind, action: Action): Grant | undefined {
  if (role === 'admin' || role === 'manager' || role === 'supervisor') return undefined;
  return (grants[role][kind] as Partial<Record<Action, Grant>> | undefined)?.[action];
}

export const managesSchool = (p: Principal, schoolId: number | null): boolean =>
  p.role === 'admin' || (p.role === 'manager' && schoolId != null && p.schoolIds.includes(schoolId));

/** Whether a supervisor oversees a school (null: the district as a whole, only over every school). */
export const oversees = (p: Principal, schoolId: number | null): boolean =>
  p.role === 'supervisor' && (p.allSchools === true || (schoolId != null && p.schoolIds.includes(schoolId)));

/** The day it is at the object's school; undefined without a time zone. */
export function schoolToday(facts: Pick<ObjectFacts, 'timeZone'>, nowMs: number): string | undefined {
  return facts.timeZone ? localDate(facts.timeZone, nowMs) : undefined;
}

/** Whether a role may do `action` on some object of `kind` at all (before any object is looked at). */
export function roleMay(role: Principal['role'], kind: ObjectKind, action: Action): boolean {
  if (!(actionsByKind[kind] as readonly string[]).includes(action)) return false;
  if (role === 'admin') return true;
  // Managers do everything in their schools but the attendant's own work; only admins create schools.
  if (role === 'manager') return action !== 'attend' && !(kind === 'school' && action === 'create');
  if (role === 'supervisor') return (supervisorMay[kind] as readonly string[] | undefined)?.includes(action) ?? false;
  return grantOf(role, kind, action) !== undefined;
}

export function can<K extends ObjectKind>(
  p: Principal,
  action: ActionOn<K>,
  facts: ObjectFacts<K>,
  nowMs: number,
): Decision {
  if (!roleMay(p.role, facts.kind, action as Action)) return deny(`A ${p.role} may not ${action} a ${facts.kind}`);
  if (p.role === 'admin') return ALLOW;
  if (p.role === 'manager') {
    if (facts.schoolId == null) return deny('District-wide objects are for admins');
    return managesSchool(p, facts.schoolId) ? ALLOW : deny('Out of your scope: another school');
  }
  if (p.role === 'supervisor') {
    if (facts.schoolId == null && !p.allSchools) return deny('District-wide objects are for district supervisors');
    return oversees(p, facts.schoolId) ? ALLOW : deny('Out of your scope: a school you do not oversee');
  }
  return holds(grantOf(p.role, facts.kind, action as Action)!, p, facts, nowMs);
}

export const allows = <K extends ObjectKind>(
  p: Principal,
  action: ActionOn<K>,
  facts: ObjectFacts<K>,
  nowMs: number,
): boolean => can(p, action, facts, nowMs).ok;

function holds(grant: Grant, p: Principal, f: ObjectFacts, nowMs: number): Decision {
  const g = p.guardianId;
  const inFamily = g != null && (f.family ?? []).includes(g);
  switch (grant) {
    case 'member':
      return f.schoolId != null && p.schoolIds.includes(f.schoolId)
        ? ALLOW
        : deny('Out of your scope: not your school');
    case 'family':
      return inFamily ? ALLOW : deny('Out of your scope: not your family');
    case 'familyToday': {
      if (!inFamily) return deny('Out of your scope: not your family');
      const today = schoolToday(f, nowMs);
      return (f.trips ?? []).some((t) => t.serviceDate === today && t.family.includes(g!))
        ? ALLOW
        : deny('Not a bus your child rides today');
    }
    case 'assignedToday': {
      const mine = p.attendantId == null ? [] : (f.trips ?? []).filter((t) => t.attendantId === p.attendantId);
      if (!mine.length)
        return deny(
          f.kind === 'trip' ? 'This trip is not assigned to you' : 'Out of your scope: not on a trip assigned to you',
        );
      const today = schoolToday(f, nowMs);
      if (mine.some((t) => t.serviceDate === today)) return ALLOW;
      return deny(
        f.kind === 'trip'
          ? `This trip runs on ${mine[0]!.serviceDate}; today is ${today ?? 'unknown'} at the school`
          : 'Only on the day of a trip assigned to you',
      );
    }
    case 'self':
      return p.attendantId != null && f.attendantId === p.attendantId
        ? ALLOW
        : deny('Out of your scope: another attendant');
    case 'mounted':
      return p.deviceId != null && (f.deviceIds ?? []).includes(p.deviceId)
        ? ALLOW
        : deny('Out of your scope: not this device’s bus');
  }
}

/**
 * The rows of `kind` a principal may read in a list: all of them, those of some schools, those reached through a
 * grant (turned into SQL by src/store/repos/scope.ts), or none at all (the list answers 403).
 */
export type ListScope = { all: true } | { schoolIds: number[] } | { grant: Grant } | { none: string };

export function listScope(p: Principal, kind: ObjectKind, action: Action = 'read'): ListScope {
  if (!roleMay(p.role, kind, action)) return { none: `A ${p.role} may not ${action} a ${kind}` };
  if (p.role === 'admin') return { all: true };
  if (p.role === 'manager') return { schoolIds: [...p.schoolIds] };
  if (p.role === 'supervisor') return p.allSchools ? { all: true } : { schoolIds: [...p.schoolIds] };
  return { grant: grantOf(p.role, kind, action)! };
}

/** Who may do `action` on `kind`, in words (for the OpenAPI document). */
export function rolesText(kind: ObjectKind, action: Action = 'read'): string {
  const words: Record<Grant, string> = {
    member: 'own school',
    family: 'own family',
    familyToday: 'own family, on the day of their child’s trip',
    assignedToday: 'assigned trips, on the trip’s day',
    self: 'own record',
    mounted: 'own bus',
  };
  const out = ['admin'];
  if (roleMay('manager', kind, action)) out.push('manager (own schools)');
  if (roleMay('supervisor', kind, action)) out.push('supervisor (overseen schools)');
  for (const role of ['guardian', 'attendant', 'device'] as const) {
    const g = grantOf(role, kind, action);
    if (g) out.push(`${role} (${words[g]})`);
  }
  return out.join(', ');
}
