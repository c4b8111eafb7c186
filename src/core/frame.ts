// What the engine computes once per fix and hands to every rule.
import type { Fix } from './fix';
import type { Position } from './events';

export interface FixFrame {
  fix: Fix;
  timeMs: number;
  /** position in the route's local plane, metres */
  x: number;
  y: number;
  position: Position;
  /** GPS speed, or speed from the previous accepted fix when the device sent none; null if unknown */
  speedKph: number | null;
  speedSource: 'gps' | 'derived' | null;
  /** seconds and metres since the previous accepted fix (0 for the first) */
  dtS: number;
  stepM: number;
  /** linear reference on the approved path; null before the first match */
  alongM: number | null;
  /** distance to the approved path, metres */
  distanceM: number;
  /** students aboard from boarding records; null when the trip has no boarding data */
  onboard: number | null;
}
