// The registry entries one connection has resolved (a connection usually speaks for one terminal; a gateway
// multiplexing a few is allowed), and the view of them the session handler gets.
import type { Jt808TerminalInfo } from '../../../ingest/jt808';
import type { DeviceInfo } from '../../../pipeline/types';
import { generateAuthCode, verifyAuthCode } from './auth-code';

const MAX_DEVICES_PER_CONNECTION = 8;

export class ConnectionDevices {
  /** By device id (the handler's key for a terminal); null = looked up, not in the registry. */
  private readonly devices = new Map<string, DeviceInfo | null>();

  get(deviceId: string): DeviceInfo | undefined {
    return this.devices.get(deviceId) ?? undefined;
  }

  /** Remembers a look-up's answer (forgetting the others when the connection has resolved too many). */
  set(deviceId: string, device: DeviceInfo | null): void {
    if (this.devices.size >= MAX_DEVICES_PER_CONNECTION && !this.devices.has(deviceId)) this.devices.clear();
    this.devices.set(deviceId, device);
  }

  /** What the session handler may know of a resolved terminal: verify a code, issue a new one. */
  terminalInfo(deviceId: string): Jt808TerminalInfo | undefined {
    const d = this.devices.get(deviceId);
    if (!d) return undefined;
    return {
      tzOffsetMin: d.tzOffsetMin,
      verifyAuthCode: (code) => verifyAuthCode(code, d.secretHash),
      issueAuthCode: generateAuthCode,
    };
  }
}
