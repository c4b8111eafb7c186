// How simulated JT/T 808 terminals come online the way real ones do: a terminal keeps the auth code it was
// given and authenticates with it after every restart; it registers (0x0100) only when it has no working
// code. The server answers a registration of a terminal that holds a code with result 3 unless a manager has
// opened a re-registration window, which the simulator (running with a manager or admin token) then does.
// Codes are kept in a JSON file (DATA_DIR/jt808-auth-codes.json beside the demo tokens), by canonical
// terminal identifier.
import { readFileSync, writeFileSync } from 'node:fs';
import { canonicalJt808Phone } from '../ingest/device-identity';

export interface Jt808Credentials {
  /** The code to try first (remembered, or the demo's provisioned secret). */
  code(identifier: string): string | undefined;
  /** Keeps a code the server issued (written to the file at once). */
  remember(identifier: string, code: string): void;
  /** Opens a re-registration window for the registry device (through the API). */
  openWindow(deviceId: number): Promise<void>;
}

export function createJt808Credentials(opts: {
  /** Where issued codes are kept; none = kept in memory only. */
  file?: string;
  /** Codes known from elsewhere (the demo's provisioned secrets), by identifier. */
  known?: Map<string, string>;
  openWindow(deviceId: number): Promise<void>;
  log: (msg: string, fields?: Record<string, unknown>) => void;
}): Jt808Credentials {
  const codes = new Map<string, string>();
  for (const [id, code] of opts.known ?? []) codes.set(canonicalJt808Phone(id), code);
  if (opts.file) {
    try {
      const saved = JSON.parse(readFileSync(opts.file, 'utf8')) as Record<string, string>;
      for (const [id, code] of Object.entries(saved))
        if (typeof code === 'string') codes.set(canonicalJt808Phone(id), code);
    } catch {
      /* no codes kept yet */
    }
  }
  return {
    code: (identifier) => codes.get(canonicalJt808Phone(identifier)),
    remember(identifier, code) {
      codes.set(canonicalJt808Phone(identifier), code);
      if (!opts.file) return;
      try {
        writeFileSync(opts.file, JSON.stringify(Object.fromEntries(codes), null, 2) + '\n', { mode: 0o600 });
      } catch (err) {
        opts.log('jt808 auth code not kept on disk', { file: opts.file, error: String(err) });
      }
    },
    openWindow: opts.openWindow,
  };
}
