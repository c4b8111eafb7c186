// Start-up check that the listening ports are free, made before the database opens: a second start on a busy port
// fails at once, without touching the data (the embedded database is opened by one process only).
import { createServer } from 'node:net';

export class PortInUseError extends Error {
  constructor(
    readonly variable: string,
    readonly port: number,
    readonly host: string,
  ) {
    super(
      `${variable} ${port} on ${host} is already in use (another busguard, or another service); choose a free port`,
    );
    this.name = 'PortInUseError';
  }
}

/** Binds each port for a moment (port 0 = any, skipped); throws PortInUseError for the first busy one. */
export async function assertPortsFree(host: string, ports: { variable: string; port: number }[]): Promise<void> {
  for (const { variable, port } of ports) {
    if (port === 0) continue;
    await new Promise<void>((resolve, reject) => {
      const probe = createServer();
      probe.once('error', (err: NodeJS.ErrnoException) => {
        reject(err.code === 'EADDRINUSE' ? new PortInUseError(variable, port, host) : err);
      });
      probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
    });
  }
}
