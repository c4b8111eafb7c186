// Shared by the security tests: the main app and the OsmAnd app on real loopback ports in front of a
// fault-injectable database, a raw HTTP client that streams large bodies, and a hand-made zip writer.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { silentLogger } from '../../src/logging';
import { createOsmandApp } from '../../src/runtime/node/osmand-server';
import { type IngestWorld, setupIngestWorld, teardownIngestWorld } from '../helpers/ingest-app';

export interface SecurityServers {
  world: IngestWorld;
  mainPort: number;
  osmandPort: number;
  close(): Promise<void>;
}

const listening = (s: ServerType) => new Promise<void>((r) => (s.listening ? r() : s.once('listening', () => r())));

export async function startSecurityServers(startMs: number): Promise<SecurityServers> {
  const world = await setupIngestWorld(startMs);
  const main = serve({ fetch: world.api.app.fetch, port: 0, hostname: '127.0.0.1' });
  const osmand = serve({
    fetch: createOsmandApp({
      database: world.faulty,
      log: silentLogger,
      now: () => world.t.clock.nowMs,
      ingest: world.api.ingest,
    }).fetch,
    port: 0,
    hostname: '127.0.0.1',
  });
  await Promise.all([listening(main), listening(osmand)]);
  return {
    world,
    mainPort: (main.address() as AddressInfo).port,
    osmandPort: (osmand.address() as AddressInfo).port,
    close: async () => {
      main.close();
      osmand.close();
      await teardownIngestWorld(world);
    },
  };
}

export interface StreamedResult {
  status: number;
  headers: string;
  body: string;
  /** From the first byte written to the status line received. */
  elapsedMs: number;
  /** Body bytes the client managed to write before the answer came. */
  bytesWritten: number;
  /** Highest RSS of this process seen while the upload ran. */
  peakRssBytes: number;
}

/**
 * Sends `bodyBytes` of body (one reused 1 MB buffer, so the client itself allocates nothing per byte), with a
 * Content-Length or chunked, and stops writing as soon as the server answers.
 */
export function streamUpload(
  port: number,
  path: string,
  bodyBytes: number,
  opts: { chunked?: boolean; headers?: Record<string, string> } = {},
): Promise<StreamedResult> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    const extra = Object.entries(opts.headers ?? {})
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    const framing = opts.chunked ? 'Transfer-Encoding: chunked\r\n' : `Content-Length: ${bodyBytes}\r\n`;
    let answered = false;
    let written = 0;
    let response = '';
    let peakRss = process.memoryUsage().rss;
    const t0 = performance.now();
    let elapsedMs = 0;
    const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
    const finish = () => {
      clearInterval(rssTimer);
      const [head = '', body = ''] = response.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      resolve({
        status,
        headers: head,
        body,
        elapsedMs,
        bytesWritten: written,
        peakRssBytes: Math.max(peakRss, process.memoryUsage().rss),
      });
    };
    socket.on('data', (d) => {
      if (!answered) elapsedMs = performance.now() - t0;
      answered = true;
      response += d.toString('latin1');
      if (response.includes('\r\n\r\n')) {
        const len = Number(/content-length: (\d+)/i.exec(response)?.[1] ?? -1);
        const body = response.slice(response.indexOf('\r\n\r\n') + 4);
        if (len >= 0 && body.length >= len) socket.destroy();
      }
    });
    socket.on('close', () => {
      if (!answered) return reject(new Error(`connection closed without an answer after ${written} bytes`));
      finish();
    });
    socket.on('error', () => {
      /* the server may reset the connection while we write: the answer, if any, is what counts */
    });
    const pump = () => {
      while (!answered && written < bodyBytes && !socket.destroyed) {
        const n = Math.min(chunk.length, bodyBytes - written);
        const piece = n === chunk.length ? chunk : chunk.subarray(0, n);
        written += n;
        const ok = opts.chunked
          ? socket.write(`${n.toString(16)}\r\n`) && socket.write(piece) && socket.write('\r\n')
          : socket.write(piece);
        if (!ok) return void socket.once('drain', pump);
      }
      if (!answered && written >= bodyBytes && opts.chunked) socket.write('0\r\n\r\n');
    };
    socket.on('connect', () => {
      socket.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${framing}${extra}\r\n`);
      pump();
    });
  });
}

/** A zip with one deflated entry whose central and local headers declare `declaredSize` (CRC left at 0). */
export function zipWithEntry(name: string, deflated: Uint8Array, declaredSize: number): Uint8Array {
  const nameBytes = Buffer.from(name, 'utf8');
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(0x800, 6);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(deflated.length, 18);
  local.writeUInt32LE(declaredSize, 22);
  local.writeUInt16LE(nameBytes.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(0x800, 8);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(deflated.length, 20);
  central.writeUInt32LE(declaredSize, 24);
  central.writeUInt16LE(nameBytes.length, 28);
  central.writeUInt32LE(0, 42);
  const cdOffset = local.length + nameBytes.length + deflated.length;
  const cdSize = central.length + nameBytes.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(cdSize, 12);
  end.writeUInt32LE(cdOffset, 16);
  return new Uint8Array(Buffer.concat([local, nameBytes, deflated, central, nameBytes, end]));
}
