// Fault injection over a real database: while `down`, raw queries (those `matches` picks, all by default) fail as if
// the server were unreachable. Everything else passes through to the real database unchanged.
import type { Database } from '../../src/store/db';

export interface FaultyDatabase extends Database {
  down: boolean;
  /** queries failed so far */
  failed: number;
}

export function withFaults(database: Database, matches: (text: string) => boolean = () => true): FaultyDatabase {
  const faulty: FaultyDatabase = {
    ...database,
    down: false,
    failed: 0,
    query: async (text, params, opts) => {
      if (faulty.down && matches(text)) {
        faulty.failed++;
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
      }
      return database.query(text, params, opts);
    },
  };
  return faulty;
}

export interface GatedDatabase extends Database {
  /** Holds matching queries until release() (those already held then run, in order). */
  hold(): void;
  release(): void;
  /** matching queries waiting now */
  readonly waiting: number;
}

/** A real database whose queries matching `matches` wait while the gate is held: a slow statement, on demand. */
export function withGate(database: Database, matches: (text: string) => boolean): GatedDatabase {
  let held: Promise<void> | undefined;
  let open: (() => void) | undefined;
  let waiting = 0;
  return {
    ...database,
    query: async (text, params, opts) => {
      if (held && matches(text)) {
        waiting++;
        await held;
        waiting--;
      }
      return database.query(text, params, opts);
    },
    hold() {
      held ??= new Promise<void>((resolve) => (open = resolve));
    },
    release() {
      open?.();
      held = open = undefined;
    },
    get waiting() {
      return waiting;
    },
  };
}

export interface RecordingDatabase extends Database {
  /** the text of every raw query that went through this handle, in order */
  readonly texts: string[];
}

/** A real database that remembers the statements sent through this handle. */
export function recording(database: Database): RecordingDatabase {
  const texts: string[] = [];
  return {
    ...database,
    texts,
    query: (text, params, opts) => {
      texts.push(text);
      return database.query(text, params, opts);
    },
  };
}
