// Who is calling, with the scope their role gives them.
import type { Role } from '../store/schema/users';

export interface Principal {
  userId: number;
  tokenId: number;
  name: string;
  role: Role;
  /**
   * Schools the caller belongs to: a manager's assigned schools, a supervisor's listed schools; the school of an
   * attendant, guardian or device.
   */
  schoolIds: number[];
  /** A supervisor over every school of the district (schoolIds then lists nothing in particular). */
  allSchools?: boolean;
  attendantId?: number;
  guardianId?: number;
  deviceId?: number;
}

export const isAdmin = (p: Principal) => p.role === 'admin';
