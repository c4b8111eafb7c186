// Hazard reports from guardians and the public (举报隐患): categories, plate normalisation, receipt codes and the
// case each report opens. Pure.
import type { Severity } from './events';

export const hazardCategories = [
  'overCapacity',
  'speeding',
  'unlicensedBus',
  'driver',
  'vehicleDefect',
  'unsafeStop',
  'other',
] as const;
export type HazardCategory = (typeof hazardCategories)[number];

/** At most this many photos per report, each at most this large. */
export const HAZARD_MAX_PHOTOS = 3;
export const HAZARD_MAX_PHOTO_BYTES = 5 * 1024 * 1024;

/** Rate limits: reports per hour from one client address, and about one plate (from anyone). */
export const HAZARD_PER_CLIENT_PER_HOUR = 5;
export const HAZARD_PER_PLATE_PER_HOUR = 20;

/** 沪A·12345, "hu a 12345" → 沪A12345: upper case, no spaces, dots or dashes. */
export function normalizePlate(plate: string): string {
  return plate
    .normalize('NFKC')
    .replace(/[\s·.\-_•]/g, '')
    .toUpperCase();
}

/** Receipt codes: 12 characters of an alphabet without look-alikes (no 0/O, 1/I/L), in groups of four. */
const ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
export function receiptCode(random: Uint8Array): string {
  let s = '';
  for (let i = 0; i < 12; i++) s += ALPHABET[random[i]! % ALPHABET.length];
  return `${s.slice(0, 4)}-${s.slice(4, 8)}-${s.slice(8, 12)}`;
}
export const receiptPattern = /^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$/;

/**
 * The case a report opens: kind `hazardReport`; a report about over-capacity or an unlicensed bus, and any report
 * about a plate no school owns ("possible unlicensed school bus", at district level), is critical; vehicle defects,
 * speeding and driver reports major; the rest minor.
 */
export function hazardSeverity(category: HazardCategory, plateKnown: boolean, plateGiven: boolean): Severity {
  if (category === 'overCapacity' || category === 'unlicensedBus' || (plateGiven && !plateKnown)) return 'critical';
  if (category === 'vehicleDefect' || category === 'speeding' || category === 'driver') return 'major';
  return 'minor';
}
