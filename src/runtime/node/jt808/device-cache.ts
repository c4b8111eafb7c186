// The registry entries one connection has resolved (a connection usually speaks for one terminal; a gateway
// multiplexing a few is allowed), and the view of them the session handler gets.
import { decideJt808Registration, type Jt808RegistrationFacts, type Jt808TerminalInfo } from '../../../ingest/jt808';
import type { DeviceInfo } from '../../../pipeline/types';
import { generateAuthCode, verifyAuthCode } from './auth-code';

const MAX_DEVICES_PER_CONNECTION = 8;

export class ConnectionDevices {
  /** By device id (the handler's key for a terminal); null = looked up, not in the registry. */
  private readonly devices = new Map<string, DeviceInfo | null>();
  /** Registry facts for the registration (0x0100) being handled, by device id, with the plate they were read for. */
  private readonly registration = new Map<string, { facts: Jt808RegistrationFacts; plate: string }>();

  get(deviceId: string): DeviceInfo | undefined {
    return this.devices.get(deviceId) ?? undefined;
  }

  /** Remembers a look-up's answer (forgetting the others when the connection has resolved too many). */
  set(deviceId: string, device: DeviceInfo | null): void {
    if (this.devices.size >= MAX_DEVICES_PER_CONNECTION && !this.devices.has(deviceId)) {
      this.devices.clear();
      this.registration.clear();
    }
    this.devices.set(deviceId, device);
    this.registration.delete(deviceId);
  }

  /** The facts a registration of `deviceId` naming `plate` is decided on (read just before it is handled). */
  setRegistrationFacts(deviceId: string, plate: string, facts: Jt808RegistrationFacts): void {
    this.registration.set(deviceId, { facts, plate });
  }

  /**
   * What the session handler may know of a resolved terminal: verify a code, decide a registration (refused
   * when no facts were read for it), issue a new code.
   */
  terminalInfo(deviceId: string): Jt808TerminalInfo | undefined {
    const d = this.devices.get(deviceId);
    if (!d) return undefined;
    return {
      tzOffsetMin: d.tzOffsetMin,
      verifyAuthCode: (code) => verifyAuthCode(code, d.secretHash),
      issueAuthCode: generateAuthCode,
      admitRegistration: (plate) => {
        const r = this.registration.get(deviceId);
        if (!r) return { result: 3, reason: 'registration not checked against the registry' };
        // The plate the facts were read for is the one the handler decoded, unless the body came in subpackages.
        const facts = r.plate === plate ? r.facts : { ...r.facts, plateOfOtherRegisteredBus: false };
        return decideJt808Registration(facts, plate);
      },
    };
  }
}
