// The pure notice rules: who is told what, once (dedupe keys), in which language.
import { describe, expect, it } from 'vitest';
import {
  approachingNotices,
  boardingNotices,
  busSubstitutedNotices,
  etaLateNotices,
  notStartedNotices,
  type Rider,
  schoolArrivedNotices,
  stopNotices,
  tripStartedNotices,
} from '../../src/live/notice-rules';

const trip = { tripId: 9, plate: '沪A-12345' };
const rider = (over: Partial<Rider>): Rider => ({
  guardianId: 1,
  locale: 'zh-CN',
  studentId: 11,
  studentName: '小明',
  stopId: '100',
  stopName: '人民路',
  ...over,
});
const riders: Rider[] = [
  rider({}),
  rider({ guardianId: 1, studentId: 12, studentName: '小红', stopId: '100' }), // sibling at the same stop
  rider({
    guardianId: 2,
    locale: 'en',
    studentId: 13,
    studentName: 'Tom',
    stopId: '200',
    stopName: 'Park Road',
    approachMetres: 400,
  }),
  rider({ guardianId: 3, studentId: 14, stopId: '100', muted: ['stop.departed'] }),
];

describe('notice rules', () => {
  it('tells every guardian once that the trip started, in zh-CN and English', () => {
    const d = tripStartedNotices(trip, riders, 0);
    expect(d.map((n) => n.dedupeKey)).toEqual(['trip.started:t9:g1', 'trip.started:t9:g2', 'trip.started:t9:g3']);
    expect(d[0]!.payload.studentIds).toEqual([11, 12]);
    expect(d[0]!.textZh).toBe('校车（沪A-12345）已发车。');
    expect(d[1]!.textEn).toBe('The school bus (沪A-12345) has started its trip.');
    expect(d[1]!.locale).toBe('en');
  });

  it('stop arrival and departure go to the guardians of that stop only, keyed by stop; mutes are respected', () => {
    const arrived = stopNotices('stop.arrived', trip, riders, '100', 0);
    expect(arrived.map((n) => n.dedupeKey)).toEqual(['stop.arrived:t9:g1:s100', 'stop.arrived:t9:g3:s100']);
    expect(arrived[0]!.textZh).toContain('“人民路”站');
    const departed = stopNotices('stop.departed', trip, riders, '100', 0);
    expect(departed.map((n) => n.guardianId)).toEqual([1]);
    // Recomputed for a second arrival event (jitter), the keys are the same: the store keeps the first.
    expect(stopNotices('stop.arrived', trip, riders, '100', 5000).map((n) => n.dedupeKey)).toEqual(
      arrived.map((n) => n.dedupeKey),
    );
    expect(schoolArrivedNotices(trip, riders, '999', 0).map((n) => n.dedupeKey)).toEqual([
      'school.arrived:t9:g1',
      'school.arrived:t9:g2',
      'school.arrived:t9:g3',
    ]);
  });

  it('approaching follows each guardian’s minutes or metres (default 5 minutes)', () => {
    const now = 1_000_000;
    const etas = new Map([
      ['100', { etaMs: now + 6 * 60_000, remainingM: 3000 }],
      ['200', { etaMs: now + 20 * 60_000, remainingM: 390 }],
    ]);
    expect(approachingNotices(trip, riders, etas, now).map((n) => n.dedupeKey)).toEqual(['approaching:t9:g2:s200']); // by metres
    const closer = new Map([['100', { etaMs: now + 4.5 * 60_000, remainingM: 2500 }]]);
    const d = approachingNotices(trip, riders, closer, now);
    expect(d.map((n) => n.dedupeKey)).toEqual(['approaching:t9:g1:s100', 'approaching:t9:g3:s100']);
    expect(d[0]!.textZh).toBe('校车（沪A-12345）即将到达“人民路”站，预计5分钟后到站。');
    expect(approachingNotices(trip, [rider({ approachMinutes: 2 })], closer, now)).toHaveLength(0);
    // A stop already arrived at has no ETA: nothing.
    expect(approachingNotices(trip, riders, new Map(), now)).toHaveLength(0);
  });

  it('late: ETA past the schedule by more than the margin, or not started; one late notice per guardian and trip', () => {
    const etas = new Map([
      ['100', { etaMs: 1_000_000 + 400_000, remainingM: 3000 }],
      ['200', { etaMs: 2_000_000, remainingM: 1 }],
    ]);
    const sched = new Map([
      ['100', 1_000_000],
      ['200', 2_000_000],
    ]);
    const late = etaLateNotices(trip, riders, etas, sched, 300);
    expect(late.map((n) => n.dedupeKey)).toEqual(['trip.late:t9:g1', 'trip.late:t9:g3']);
    expect(late[0]!.payload.lateS).toBe(400);
    expect(etaLateNotices(trip, riders, etas, sched, 500)).toHaveLength(0);
    const notStarted = notStartedNotices(trip, riders, 0, 10 * 60_000);
    expect(notStarted.map((n) => n.dedupeKey)).toEqual(['trip.late:t9:g1', 'trip.late:t9:g2', 'trip.late:t9:g3']);
    expect(notStarted[1]!.textEn).toBe(
      'The school bus (沪A-12345) has not started yet: 10 min after the planned start.',
    );
  });

  it('bus substitution is keyed by the new bus; boarding by child and direction', () => {
    expect(busSubstitutedNotices(trip, riders, 5, 4).map((n) => n.dedupeKey)).toContain('bus.substituted:t9:g2:b5');
    const on = boardingNotices(
      9,
      [
        { guardianId: 1, locale: 'zh-CN' },
        { guardianId: 1, locale: 'zh-CN' },
        { guardianId: 2, locale: 'en' },
      ],
      { id: 11, name: '小明' },
      true,
      0,
    );
    expect(on.map((n) => n.dedupeKey)).toEqual(['student.boarded:t9:g1:st11', 'student.boarded:t9:g2:st11']);
    expect(on[0]!.textZh).toBe('小明已上车。');
    const off = boardingNotices(9, [{ guardianId: 2, locale: 'en' }], { id: 11, name: 'Tom' }, false, 0, 'Park Road');
    expect(off[0]!.dedupeKey).toBe('student.alighted:t9:g2:st11');
    expect(off[0]!.textEn).toBe('Tom got off the bus at the Park Road stop.');
  });
});
