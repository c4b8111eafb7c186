// The link between a stateless JT/T 808 gateway (Node, src/runtime/gateway) and the Worker: one WebSocket per
// gateway at /api/v1/gateway (bearer GATEWAY_TOKEN), JSON requests with an id, one reply per request. The Worker
// hands fixes and events to the bus's object; a reply to `submitFixes` means the object committed them, and only
// then does the gateway send the terminal its 0x8001 result 0.
import type { DeviceEvent, Fix, Protocol } from '../../core/fix';
import type { DeviceInfo } from '../../pipeline/types';

export const GATEWAY_PATH = '/api/v1/gateway';

export type GatewayRequest = { id: number } & (
  | { op: 'lookupDevice'; protocol: Protocol; identifier: string }
  | { op: 'submitFixes'; device: DeviceInfo; fixes: Fix[]; receivedMs: number }
  | { op: 'submitEvents'; device: DeviceInfo; events: DeviceEvent[]; receivedMs: number }
  | { op: 'registrationFacts'; device: DeviceInfo; plate: string }
  | { op: 'completeRegistration'; device: DeviceInfo; authCode: string }
);

export type GatewayReply =
  | { id: number; ok: true; result: unknown }
  /** storage: the Worker or object could not store (the terminal resends); otherwise a request it refused */
  | { id: number; ok: false; storage: boolean; message: string; retryAfterS?: number; reason?: 'down' | 'full' };
