// R5, R6, R7 through the real pipeline (ingest → engine runner → database), on PGlite and PostgreSQL:
// a driver's continuous driving adds up across two trips on two buses (and a restart in between); a driver card
// read before the trip carries its expired certificate into the trip-start check; a phone that uploads six
// minutes of stored fixes after a gap gives a coverage-loss episode of six minutes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fix } from '../../src/core/fix';
import { saveDriverCarries } from '../../src/store/repos/engine-repo';
import type { DeviceInfo } from '../../src/pipeline/types';
import { createTestApp, type TestApp } from '../helpers/app';
import { buildWorld, ok, type World } from '../helpers/world';
import { lanePipeline } from './pipeline';

let t: TestApp;
let w: World;
const AT = (hhmmss: string) => Date.parse(`2026-09-01T${hhmmss}+08:00`);
/** Raw rows: a Date on PGlite, a string on PostgreSQL. */
const ms = (v: Date | string) => new Date(v).getTime();
const M_PER_DEG_LON = 111_320 * Math.cos((31.2 * Math.PI) / 180);

beforeAll(async () => {
  t = await createTestApp(AT('06:00:00'));
  w = await buildWorld(t);
});
afterAll(() => t.close());

const pipeline = () => lanePipeline(t);

/** Back and forth along the first 900 m of a route at 30 km/h: one fix every stepS from fromMs to toMs. */
function shuttle(
  identifier: string,
  protocol: Fix['protocol'],
  lon0: number,
  fromMs: number,
  toMs: number,
  stepS: number,
  receivedLagMs = 1000,
): Fix[] {
  const out: Fix[] = [];
  for (let ms = fromMs; ms <= toMs; ms += stepS * 1000) {
    const s = (ms - fromMs) / 1000;
    const leg = (s * 30) / 3.6;
    const x = leg % 1800 < 900 ? leg % 900 : 900 - (leg % 900);
    out.push({
      deviceId: identifier,
      protocol,
      timeMs: ms,
      receivedMs: ms + receivedLagMs,
      lat: 31.2,
      lon: lon0 + x / M_PER_DEG_LON,
      speedKph: 30,
      valid: true,
      alarms: [],
      attributes: {},
    });
  }
  return out;
}

async function feed(
  p: ReturnType<typeof pipeline>,
  device: DeviceInfo,
  fixes: Fix[],
  onTick?: (ms: number) => Promise<void>,
) {
  for (const f of fixes) {
    t.clock.nowMs = f.receivedMs ?? f.timeMs;
    await p.ingest.submitFixes(device, [f], t.clock.nowMs);
    if (onTick) await onTick(f.timeMs);
  }
  await p.runner.idle();
}

describe('driver rules through the engine runner', () => {
  it('R5: one driver’s driving adds up across two trips on two buses (with a restart between): fatigue opens at 4 h', async () => {
    const driverId = w.a.drivers[0].id;
    const [busA, busB] = w.a.buses;
    const [routeA, routeB] = w.a.routes;
    // The driver's second trip of the morning, on the other bus.
    const trip2 = await ok(
      t.call('POST', '/api/v1/trips', {
        body: {
          routeId: routeB.id,
          busId: busB.id,
          driverId,
          serviceDate: '2026-09-01',
          plannedStartAt: '2026-09-01T09:35:00+08:00',
        },
      }),
    );

    const first = pipeline();
    const devA = (await first.ingest.lookupDevice('json', 'A-dev-1'))!;
    await feed(
      first,
      devA,
      shuttle('A-dev-1', 'json', routeA.path.coordinates[0][0], AT('07:00:00'), AT('09:30:00'), 60),
    );
    await first.runner.submitToTrip(w.a.trips[0].id, busA.id, [
      { type: 'tripEnd', timeMs: AT('09:30:30'), sweepConfirmed: true },
    ]);
    await first.close();
    const carry = await t.database.query<{ driver_id: number; service_day: string; state: { drivingSinceMs: number } }>(
      'select driver_id, service_day::text as service_day, state from driver_accumulators',
    );
    expect(carry).toEqual([
      {
        driver_id: driverId,
        service_day: '2026-09-01',
        state: expect.objectContaining({ drivingSinceMs: AT('07:00:00') }),
      },
    ]);
    expect(
      (await t.database.query("select 1 from violations where kind in ('fatigue', 'fatiguePreWarning')")).length,
    ).toBe(0);

    // A new process: the five-minute break is no rest; the block continues on bus B.
    const second = pipeline();
    const devB = (await second.ingest.lookupDevice('json', 'A-dev-2'))!;
    await feed(
      second,
      devB,
      shuttle('A-dev-2', 'json', routeB.path.coordinates[0][0], AT('09:35:00'), AT('11:05:00'), 60),
    );
    await second.close();
    const rows = await t.database.query<{ kind: string; trip_id: number; started_at: Date; driver_id: number }>(
      "select kind, trip_id, started_at, driver_id from violations where kind in ('fatigue', 'fatiguePreWarning') order by started_at",
    );
    expect(rows.map((r) => [r.kind, r.trip_id, ms(r.started_at), r.driver_id])).toEqual([
      ['fatiguePreWarning', trip2.id, AT('10:45:00'), driverId],
      ['fatigue', trip2.id, AT('11:00:00'), driverId],
    ]);
    const [after] = await t.database.query<{ state: { lastMs: number } }>(
      'select state from driver_accumulators where driver_id = $1',
      [driverId],
    );
    expect(after!.state.lastMs).toBe(AT('11:05:00'));
    // Replaying an older block (a retried write, a restart from an older checkpoint) never overwrites the newer one.
    await saveDriverCarries(t.database.db, [
      {
        driverId,
        serviceDay: '2026-09-01',
        tripId: w.a.trips[0].id,
        carry: { drivingSinceMs: AT('07:00:00'), stoppedSinceMs: null, lastMs: AT('09:30:00') },
      },
    ]);
    const [again] = await t.database.query<{ state: { lastMs: number } }>(
      'select state from driver_accumulators where driver_id = $1',
      [driverId],
    );
    expect(again!.state.lastMs).toBe(AT('11:05:00'));
  });

  it('R6: an expired driver card read before the trip opens driverCredentials at trip start', async () => {
    const p = pipeline();
    const dev = (await p.ingest.lookupDevice('json', 'B-dev-1'))!;
    t.clock.nowMs = AT('06:55:00');
    await p.ingest.submitEvents(
      dev,
      [
        {
          type: 'driverCard',
          deviceId: 'B-dev-1',
          protocol: 'json',
          inserted: true,
          timeMs: AT('06:55:00'),
          readResult: 0,
          driverName: 'Driver B1',
          certificateNo: 'B-CERT-0',
          certificateExpiry: '2026-06-30',
        },
      ],
      t.clock.nowMs,
    );
    await p.runner.idle();
    expect(
      (
        await t.database.query("select 1 from violations where kind = 'driverCredentials' and trip_id = $1", [
          w.b.trips[0].id,
        ])
      ).length,
    ).toBe(0);
    await feed(
      p,
      dev,
      shuttle('B-dev-1', 'json', w.b.routes[0].path.coordinates[0][0], AT('07:00:00'), AT('07:02:00'), 10),
    );
    await p.close();
    const rows = await t.database.query<{
      trip_id: number;
      started_at: Date;
      severity: string;
      evidence: { failures: string[]; trigger: string; certificateNo: string };
    }>(
      "select trip_id, started_at, severity, evidence from violations where kind = 'driverCredentials' and trip_id = $1",
      [w.b.trips[0].id],
    );
    expect(rows).toHaveLength(1);
    expect(ms(rows[0]!.started_at)).toBe(AT('07:00:00'));
    expect(rows[0]!.severity).toBe('critical');
    // The roster says the certificate runs to 2027-06-30: only the card's expiry can make it expired.
    expect(w.b.drivers[0].qualificationCertExpiry).toBe('2027-06-30');
    expect(rows[0]!.evidence).toMatchObject({ trigger: 'tripStart', certificateNo: 'B-CERT-0' });
    expect(rows[0]!.evidence.failures).toContain('certificate_expired');
  });

  it('R7: a phone uploading six minutes of stored fixes after a gap gives a six-minute coverage-loss episode, not a major offline one', async () => {
    const bus = w.b.buses[0];
    await ok(
      t.call('POST', '/api/v1/devices', {
        body: {
          schoolId: w.b.schoolId,
          busId: bus.id,
          protocol: 'osmand',
          identifier: 'phone-b1',
          secret: 'secret-123',
        },
      }),
    );
    // Bus B's trip from the previous test is running; the phone takes over from 07:03.
    const p = pipeline();
    const phone = (await p.ingest.lookupDevice('osmand', 'phone-b1'))!;
    const lon0 = w.b.routes[0].path.coordinates[0][0];
    await feed(p, phone, shuttle('phone-b1', 'osmand', lon0, AT('07:03:00'), AT('07:10:00'), 5));
    // Six minutes without a word: the minute ticks open an offline episode at 07:15.
    for (let m = 11; m <= 16; m++) {
      t.clock.nowMs = AT(`07:${m}:00`);
      await p.runner.tick(t.clock.nowMs);
    }
    await p.runner.idle();
    const open = await t.database.query<{ severity: string; ended_at: Date | null }>(
      "select severity, ended_at from violations where kind = 'deviceOffline'",
    );
    expect(open).toEqual([{ severity: 'major', ended_at: null }]);
    // Back at 07:16:02: what the phone stored arrives (device times 07:10:05 … 07:15:55), then live fixes.
    const stored = shuttle('phone-b1', 'osmand', lon0, AT('07:10:05'), AT('07:15:55'), 5).map((f, i) => ({
      ...f,
      receivedMs: AT('07:16:02') + i * 20,
    }));
    await feed(p, phone, [...stored, ...shuttle('phone-b1', 'osmand', lon0, AT('07:16:05'), AT('07:17:00'), 5)]);
    await p.close();
    const rows = await t.database.query<{
      severity: string;
      started_at: Date;
      ended_at: Date;
      evidence: { cause: string; backfilledFixes: number };
    }>("select severity, started_at, ended_at, evidence from violations where kind = 'deviceOffline'");
    expect(rows).toHaveLength(1);
    const v = rows[0]!;
    expect(v.severity).toBe('minor');
    expect(v.evidence.cause).toBe('coverageLoss');
    expect(ms(v.started_at)).toBe(AT('07:10:00'));
    const minutes = (ms(v.ended_at) - ms(v.started_at)) / 60_000;
    expect(minutes).toBeGreaterThan(5.9);
    expect(minutes).toBeLessThan(6.2);
  });
});
