// One canonical identity per device: how a device's identifier is written in the registry and looked up.
// Every writer (registry API, migrations, demo seed) and every reader (protocol servers, device directory)
// goes through `canonicalDeviceIdentifier`, so two spellings of one terminal can never be two devices.
//
// JT/T 808 — the terminal phone field, 6 (2013) or 10 (2019) bytes:
//   * read as the hex digits of its bytes: for the standard BCD field these are its decimal digits; a field
//     that is not BCD (IMEI digits stored as a binary number) gives hex digits with at least one of a-f, so
//     the two forms can never name the same terminal;
//   * surrounding whitespace removed, hex digits lowercase, the left zero padding removed (the 2013 and
//     2019 headers pad to 12 and 20 digits): '013800000001' and '00000000013800000001' are '13800000001';
//     all zeros is '0'.
// OsmAnd and JSON device ids (app- or partner-chosen strings): surrounding whitespace removed and lowercased,
//   so 'Phone-1 ' and 'phone-1' are one device (nobody tells devices apart by case, and a look-alike id in
//   another school must not become a second device).
import type { Protocol } from '../core/fix';

/** A JT/T 808 phone in the registry: 1-20 hex digits (decimal for BCD phones). */
export const JT808_IDENTIFIER_PATTERN = /^[0-9a-fA-F]{1,20}$/;

const NEEDS_CLEANING = /[^0-9a-f]/;

/** The canonical form of a JT/T 808 terminal phone (header digits or as typed in the registry). */
export function canonicalJt808Phone(phone: string): string {
  // Header digits need no cleaning (this runs for every frame); typed ones may.
  const digits = NEEDS_CLEANING.test(phone) ? phone.trim().toLowerCase() : phone;
  let i = 0;
  while (i < digits.length - 1 && digits.charCodeAt(i) === 48) i++;
  return i === 0 ? digits : digits.slice(i);
}

/** The canonical identifier of a device of `protocol` (see the rules above). */
export function canonicalDeviceIdentifier(protocol: Protocol, identifier: string): string {
  return protocol === 'jt808' ? canonicalJt808Phone(identifier) : identifier.trim().toLowerCase();
}
