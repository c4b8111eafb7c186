// The authorization policy (src/auth/policy.ts) for one request: 403 with the policy's reason, 404 for unknown
// objects, and the SQL filter for lists (src/store/repos/scope.ts).
import type { SQL } from 'drizzle-orm';
import { type Action, type ActionOn, can, listScope, roleMay, type ObjectFacts, type ObjectKind } from '../auth/policy';
import type { Principal } from '../auth/principal';
import type { Role } from '../store/schema/users';
import type { DbOrTx } from '../store/db';
import { listWhere, loadFacts } from '../store/repos/scope';
import type { AppDeps, Ctx } from './context';
import { forbidden, notFound } from './errors';

const names: Record<ObjectKind, string> = {
  school: 'School',
  bus: 'Bus',
  device: 'Device',
  driver: 'Driver',
  attendant: 'Attendant',
  route: 'Route',
  student: 'Student',
  guardian: 'Guardian',
  trip: 'Trip',
  violation: 'Violation',
  report: 'Report',
  compliance: 'School',
  inspection: 'Inspection',
};

export class Access {
  constructor(
    private readonly db: DbOrTx,
    readonly principal: Principal,
    /** The request's clock value: "the trip's day" is decided against it. */
    readonly nowMs: number,
  ) {}

  get role(): Role {
    return this.principal.role;
  }

  /** A role gate for operations that are not about one object (creating users). */
  requireRole(...roles: Role[]): void {
    if (!roles.includes(this.principal.role))
      throw forbidden(`This operation needs one of the roles: ${roles.join(', ')}`);
  }

  /** 403 unless the caller's role may do `action` on some object of `kind` (checked before reading a body). */
  requireAction(action: Action, kind: ObjectKind): void {
    if (!roleMay(this.principal.role, kind, action))
      throw forbidden(`A ${this.principal.role} may not ${action} a ${kind}`);
  }

  allows<K extends ObjectKind>(action: ActionOn<K>, facts: ObjectFacts<K>): boolean {
    return can(this.principal, action, facts, this.nowMs).ok;
  }

  /** 403 (with the policy's reason, and nothing about the object) unless the policy allows it. */
  check<K extends ObjectKind>(action: ActionOn<K>, facts: ObjectFacts<K>): void {
    const d = can(this.principal, action, facts, this.nowMs);
    if (!d.ok) throw forbidden(d.reason);
  }

  /** Loads the facts about one object (404 when unknown) and checks the action on it. */
  async assert<K extends ObjectKind>(action: ActionOn<K>, kind: K, id: number): Promise<ObjectFacts<K>> {
    const facts = await loadFacts(this.db, this.principal, kind, id);
    if (!facts) throw notFound(names[kind]);
    this.check(action, facts);
    return facts;
  }

  /** Writing objects of a school (admins: any; managers: their schools). */
  assertManagesSchool(schoolId: number): void {
    this.check('update', { kind: 'school', schoolId });
  }

  /** The SQL filter for a list of `kind` (undefined: every row); 403 when the caller may not list it at all. */
  async listWhere(kind: Exclude<ObjectKind, 'compliance'>, action: Action = 'read'): Promise<SQL | undefined> {
    const scope = await listWhere(this.db, this.principal, kind, this.nowMs, action);
    if ('none' in scope) throw forbidden(scope.none);
    return scope.where;
  }

  /**
   * The schools a list keyed by school (violations, reports, compliance) covers: undefined for all of them.
   * A school asked for by query must be in scope (403 otherwise).
   */
  schoolScope(
    kind: 'violation' | 'report' | 'compliance' | 'inspection',
    requestedSchoolId?: number,
  ): number[] | undefined {
    const scope = listScope(this.principal, kind);
    if ('none' in scope) throw forbidden(scope.none);
    if (requestedSchoolId != null) {
      this.check('read', { kind, schoolId: requestedSchoolId });
      return [requestedSchoolId];
    }
    if ('all' in scope) return undefined;
    if ('schoolIds' in scope) return scope.schoolIds;
    throw forbidden(`A ${this.principal.role} may not list ${kind}s`);
  }
}

/** The caller's access for this request, on the app's database and clock. */
export const accessOf = (c: Ctx, deps: AppDeps) => new Access(deps.database.db, c.get('principal')!, deps.now());
