// The common partner position — epoch-ms time and numbers only — read without the schema: a batch of a thousand
// such items is most of a partner's traffic, and the schema's parse costs more than everything else done per item
// before the write. Anything else (an ISO time, alarms, attributes, an id, a value out of range, an unknown key)
// returns undefined and the schema decides, with its messages. What this accepts, the schema accepts with the same
// result (property-tested in test/ingest/json/plain.test.ts).
import { type NumberRange, POSITION_NUMBERS, POSITION_TIME_MS, type TelemetryPosition } from './schema';

type NumberKey = keyof typeof POSITION_NUMBERS;
const NUMBER_KEYS = Object.keys(POSITION_NUMBERS) as NumberKey[];
const RANGES: Record<string, NumberRange> = POSITION_NUMBERS;

function inRange(v: unknown, r: NumberRange): v is number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < r.min) return false;
  if (r.max !== undefined && v > r.max) return false;
  if (r.below !== undefined && v >= r.below) return false;
  return !r.int || Number.isSafeInteger(v);
}

/** The position as the schema would parse it, or undefined when only the schema can say. */
export function plainPosition(raw: unknown): TelemetryPosition | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const item = raw as Record<string, unknown>;
  if (!inRange(item.time, POSITION_TIME_MS)) return undefined;
  let known = 1;
  for (const k of NUMBER_KEYS) {
    const v = item[k];
    if (v === undefined) {
      if (!RANGES[k]!.optional) return undefined;
      continue;
    }
    if (!inRange(v, RANGES[k]!)) return undefined;
    known++;
  }
  // Every key is one of those read above (an own key set to undefined is one too few: the schema decides).
  let keys = 0;
  for (const _ in item) keys++;
  if (keys !== known) return undefined;
  const p: TelemetryPosition = { time: item.time, lat: item.lat as number, lon: item.lon as number };
  for (const k of NUMBER_KEYS) if (k !== 'lat' && k !== 'lon' && item[k] !== undefined) p[k] = item[k] as number;
  return p;
}
