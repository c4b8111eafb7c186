// Role and scope checks for one request.
import type { Principal } from '../auth/principal';
import type { Role } from '../store/schema/users';
import type { DbOrTx } from '../store/db';
import { type VisibleIds, visibleIdsFor } from '../store/repos/visibility';
import { forbidden } from './errors';

export class Access {
  private visible?: Promise<VisibleIds>;
  constructor(
    private readonly db: DbOrTx,
    readonly principal: Principal,
  ) {}

  get role(): Role {
    return this.principal.role;
  }

  requireRole(...roles: Role[]): void {
    if (!roles.includes(this.principal.role)) throw forbidden(`This operation needs one of the roles: ${roles.join(', ')}`);
  }

  /** Admins manage everything; managers manage their schools. */
  managesSchool(schoolId: number): boolean {
    if (this.principal.role === 'admin') return true;
    return this.principal.role === 'manager' && this.principal.schoolIds.includes(schoolId);
  }

  assertManagesSchool(schoolId: number): void {
    if (!this.managesSchool(schoolId)) throw forbidden('Out of your scope');
  }

  visibleIds(): Promise<VisibleIds> {
    return (this.visible ??= visibleIdsFor(this.db, this.principal));
  }

  /** Read access to one object: managers by school, guardians/attendants/devices by their derived ids. */
  async canRead(schoolId: number, grant?: { key: keyof VisibleIds; id: number }): Promise<boolean> {
    if (this.managesSchool(schoolId)) return true;
    if (this.principal.role === 'manager') return false;
    // Without a derived grant, members of a school (guardian, attendant, device) may read the school's own object.
    if (!grant) return this.principal.schoolIds.includes(schoolId);
    return (await this.visibleIds())[grant.key].has(grant.id);
  }
}
