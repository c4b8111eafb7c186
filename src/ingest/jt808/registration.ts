// Who may register (0x0100) and get an auth code — the platform's answer as the standard defines it
// (0x8100 result: 0 ok, 1 vehicle already registered, 2 vehicle not in the database, 3 terminal already
// registered, 4 terminal not in the database). Pure: the runtime gathers the facts from the registry first.
//
// - A terminal that already holds an auth code (issued at an earlier registration, or provisioned by a
//   manager) gets 3 unless a manager has opened a re-registration window for it: knowing a terminal's phone
//   number must not be enough to take its place. The window is used up by the registration it admits.
// - The plate in the body must be the plate of the bus the registry fits the terminal to. A terminal fitted to
//   no bus, or naming a plate the registry does not have, gets 2; naming another bus that has its own
//   terminal gets 1 (that vehicle is registered to another terminal). Plates compare without spaces and the
//   middle dot, case-insensitively ('粤B·D1001' = '粤BD1001').
// - Result 4 (terminal unknown) is decided before this, by the registry look-up.
import type { RegisterResult } from './encoder';

export interface Jt808RegistrationFacts {
  /** The terminal holds an auth code already. */
  holdsAuthCode: boolean;
  /** A manager's re-registration window is open (not expired, not used). */
  windowOpen: boolean;
  /** Plate of the bus the terminal is fitted to; null when it is fitted to none. */
  busPlate: string | null;
  /** The plate the terminal sent belongs to another bus that has its own JT/T 808 terminal. */
  plateOfOtherRegisteredBus: boolean;
}

export type Jt808RegistrationDecision = { result: 0 } | { result: Exclude<RegisterResult, 0 | 4>; reason: string };

/** Plate spelling for comparisons: no whitespace or middle dots, upper case. */
export function normalizePlate(plate: string): string {
  return plate.replace(/[\s·•・.\u0000]/g, '').toUpperCase();
}

export function decideJt808Registration(facts: Jt808RegistrationFacts, plate: string): Jt808RegistrationDecision {
  if (facts.holdsAuthCode && !facts.windowOpen) {
    return {
      result: 3,
      reason: 'terminal already registered (it holds an auth code; a manager may open a re-registration window)',
    };
  }
  if (facts.busPlate === null) return { result: 2, reason: 'terminal is fitted to no bus in the registry' };
  if (normalizePlate(plate) !== normalizePlate(facts.busPlate)) {
    return facts.plateOfOtherRegisteredBus
      ? { result: 1, reason: `plate ${plate} is registered to another terminal` }
      : { result: 2, reason: `plate ${plate} is not this terminal's bus` };
  }
  return { result: 0 };
}
