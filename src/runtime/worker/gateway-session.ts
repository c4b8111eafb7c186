// /api/v1/gateway: the WebSocket of one JT/T 808 gateway (src/runtime/worker/gateway-protocol.ts). Requests are
// answered as they complete; a device's fixes go to its bus's object, which orders them with the bus's other input.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Logger } from '../../logging';
import { StorageUnavailableError } from '../../pipeline/types';
import { completeJt808Registration, jt808RegistrationFacts } from '../../store/repos/device-registration-repo';
import { createPostgresDatabase } from '../../store/postgres-db';
import { upgradeResponse, webSocketPair } from './cf';
import type { WorkerEnv } from './env';
import type { GatewayReply, GatewayRequest } from './gateway-protocol';
import { ObjectIngest } from './object-ingest';

const sha256 = (text: string) => createHash('sha256').update(text).digest();

function tokenMatches(given: string, expected: string): boolean {
  return timingSafeEqual(sha256(given), sha256(expected));
}

function refuse(status: number, code: string, message: string): Response {
  return new Response(JSON.stringify({ error: { code, message, requestId: 'gateway' } }), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}

export async function gatewaySession(request: Request, env: WorkerEnv, log: Logger): Promise<Response> {
  if (!env.GATEWAY_TOKEN) return refuse(404, 'not_found', 'No gateway endpoint on this deployment');
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.get('authorization') ?? '');
  if (!match || !tokenMatches(match[1]!, env.GATEWAY_TOKEN))
    return refuse(401, 'unauthorized', 'A valid gateway token is required');
  const database = createPostgresDatabase({ url: env.HYPERDRIVE.connectionString, maxConnections: 5 });
  const ingest = new ObjectIngest(database, env.BUS, log, Date.now);
  const [client, server] = webSocketPair();
  server.accept();

  const handle = async (req: GatewayRequest): Promise<unknown> => {
    switch (req.op) {
      case 'lookupDevice':
        return (await ingest.lookupDevice(req.protocol, req.identifier)) ?? null;
      case 'submitFixes': {
        // The registry decides which bus the device is on now, not the gateway's copy.
        const device = await ingest.directory.byId(req.device.deviceId);
        if (!device) throw new Error('device no longer registered');
        return ingest.submitFixes(device, req.fixes, req.receivedMs);
      }
      case 'submitEvents': {
        const device = await ingest.directory.byId(req.device.deviceId);
        if (!device) throw new Error('device no longer registered');
        await ingest.submitEvents(device, req.events, req.receivedMs);
        return null;
      }
      case 'registrationFacts':
        return jt808RegistrationFacts(database, req.device.deviceId, req.plate, Date.now());
      case 'completeRegistration': {
        const hash = createHash('sha256').update(req.authCode).digest('hex');
        const stored = await completeJt808Registration(database, req.device.deviceId, hash, Date.now());
        ingest.directory.invalidate(req.device.protocol, req.device.identifier);
        return stored;
      }
    }
  };

  server.addEventListener('message', (e) => {
    if (typeof e.data !== 'string') return;
    let req: GatewayRequest;
    try {
      req = JSON.parse(e.data) as GatewayRequest;
    } catch {
      return;
    }
    void handle(req).then(
      (result) => server.send(JSON.stringify({ id: req.id, ok: true, result: result ?? null } satisfies GatewayReply)),
      (err: unknown) => {
        const storage = err instanceof StorageUnavailableError;
        const reply: GatewayReply = storage
          ? { id: req.id, ok: false, storage, message: err.message, retryAfterS: err.retryAfterS, reason: err.reason }
          : { id: req.id, ok: false, storage: false, message: String(err) };
        if (!storage) log.warn('gateway request failed', { op: req.op, error: String(err) });
        try {
          server.send(JSON.stringify(reply));
        } catch {
          /* the gateway went away; it resends */
        }
      },
    );
  });
  server.addEventListener('close', () => void database.close());
  return upgradeResponse(client);
}
