// Who is calling, with the scope their role gives them.
import type { Role } from '../store/schema/users';

export interface Principal {
  userId: number;
  tokenId: number;
  name: string;
  role: Role;
  /** Schools the caller belongs to: a manager's assigned schools; the school of an attendant, guardian or device. */
  schoolIds: number[];
  attendantId?: number;
  guardianId?: number;
  deviceId?: number;
}

export const isAdmin = (p: Principal) => p.role === 'admin';
