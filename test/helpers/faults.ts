// Fault injection over a real database: while `down`, raw queries fail as if the server were unreachable.
// Everything else passes through to the real database unchanged.
import type { Database } from '../../src/store/db';

export interface FaultyDatabase extends Database {
  down: boolean;
}

export function withFaults(database: Database): FaultyDatabase {
  const faulty: FaultyDatabase = {
    ...database,
    down: false,
    query: async (text, params) => {
      if (faulty.down) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
      return database.query(text, params);
    },
  };
  return faulty;
}
