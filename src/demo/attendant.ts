// The demo's simulated attendant: records the pre-trip check (every item OK) and checks in when the bus sets off, records the children boarding at their stops
// (per student, as the attendant page does), lets everyone off at the last stop and confirms the end-of-trip
// sweep — so a demo trip ends like a real one instead of raising a false "child left on board" alarm.
import { inspectionItems } from '../core/inspections';
import type { Api } from './fleet';

export interface AttendantPlan {
  tripId: number;
  /** The trip's attendant's token. */
  token: string;
  /** Route stops with the students assigned to each. */
  stops: { id: number; lat: number; lon: number; sequence: number; studentIds: number[] }[];
}

const R = 6_371_008.8;
const rad = (d: number) => (d * Math.PI) / 180;
const distanceM = (a: { lat: number; lon: number }, b: { lat: number; lon: number }) =>
  R * Math.hypot(rad(b.lat - a.lat), rad(b.lon - a.lon) * Math.cos(rad((a.lat + b.lat) / 2)));

export interface AttendantStats {
  checkedIn: boolean;
  boarded: number;
  gotOff: number;
  swept: boolean;
  errors: number;
}

export class SimAttendant {
  readonly stats: AttendantStats = { checkedIn: false, boarded: 0, gotOff: 0, swept: false, errors: 0 };
  private readonly visited = new Set<number>();
  private onboard: number[] = [];
  private seq = 0;

  constructor(
    private readonly api: Api,
    private readonly plan: AttendantPlan,
    private readonly log: (msg: string, f?: Record<string, unknown>) => void,
  ) {}

  private async post(path: string, body: unknown): Promise<boolean> {
    try {
      await this.api.callAs(this.plan.token, 'POST', `/api/v1/trips/${this.plan.tripId}${path}`, body);
      return true;
    } catch (err) {
      this.stats.errors++;
      this.log('attendant request failed', {
        tripId: this.plan.tripId,
        path,
        error: err instanceof Error ? err.message : String(err),
      });
      return false;
    }
  }

  /** Before the bus moves: the pre-trip check (all items OK), then check-in. */
  async checkIn(): Promise<void> {
    if (this.stats.checkedIn) return;
    const items = Object.fromEntries(inspectionItems.map((i) => [i, { ok: true }]));
    if (!(await this.post('/pre-trip-check', { performedBy: 'attendant', items }))) return;
    this.stats.checkedIn = await this.post('/check-in', undefined);
    if (this.stats.checkedIn) this.log('attendant checked in', { tripId: this.plan.tripId });
  }

  /** The bus stands at (lat, lon) with its doors open: children board, or everyone gets off at the last stop. */
  async atStop(p: { lat: number; lon: number; timeMs: number }): Promise<void> {
    const stop = this.plan.stops.find((s) => distanceM(s, p) <= 60);
    if (!stop || this.visited.has(stop.id)) return;
    this.visited.add(stop.id);
    const last = stop.sequence === Math.max(...this.plan.stops.map((s) => s.sequence));
    const ids = last ? this.onboard : stop.studentIds.filter((id) => !this.onboard.includes(id));
    if (ids.length === 0) return;
    const event = last ? 'gotOff' : 'boarded';
    const recordedAt = new Date(p.timeMs).toISOString();
    const records = ids.map((studentId) => ({
      type: 'student',
      clientId: `sim-${this.plan.tripId}-${++this.seq}`,
      recordedAt,
      stopId: stop.id,
      studentId,
      event,
    }));
    if (!(await this.post('/boarding', { records }))) return;
    if (last) {
      this.stats.gotOff += ids.length;
      this.onboard = [];
    } else {
      this.stats.boarded += ids.length;
      this.onboard.push(...ids);
    }
    this.log(`attendant recorded ${ids.length} ${event}`, { tripId: this.plan.tripId, stopId: stop.id });
  }

  /** The end-of-trip sweep: nobody is left aboard (anyone still aboard gets off first). */
  async sweep(p: { lat: number; lon: number; timeMs: number }, earlyEndReason?: string): Promise<void> {
    if (this.stats.swept || !this.stats.checkedIn) return;
    if (this.onboard.length > 0) {
      const last = [...this.plan.stops].sort((a, b) => b.sequence - a.sequence)[0]!;
      this.visited.delete(last.id);
      await this.atStop({ ...p, lat: last.lat, lon: last.lon });
    }
    // Before the last stop the API takes the sweep only as an early end, with its reason.
    this.stats.swept = await this.post('/sweep', {
      confirmedEmpty: this.onboard.length === 0,
      ...(earlyEndReason ? { earlyEndReason } : {}),
    });
    if (this.stats.swept) this.log('attendant confirmed the sweep', { tripId: this.plan.tripId });
  }
}
