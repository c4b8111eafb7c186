import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { applyMigrations, migrationsFolder } from '../../src/store/migrate';
import { createTestDatabase, type TestDatabase } from '../helpers/db';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.close());

describe('migrations', () => {
  it('create every table on an empty database', async () => {
    const rows = await database.query<{ table_name: string }>(
      "select table_name from information_schema.tables where table_schema = 'public' order by 1",
    );
    expect(rows.map((r) => r.table_name)).toEqual(
      [
        'alert_outbox',
        'api_tokens',
        'attendants',
        'boarding_records',
        'buses',
        'bus_inspections',
        'case_actions',
        'device_events',
        'devices',
        'driver_accumulators',
        'drivers',
        'driver_trainings',
        'engine_checkpoints',
        'evacuation_drill_photos',
        'evacuation_drills',
        'job_runs',
        'guardian_students',
        'guardians',
        'hazard_report_photos',
        'hazard_reports',
        'notices',
        'positions',
        'pre_trip_checks',
        'push_outbox',
        'push_subscriptions',
        'push_vapid_keys',
        'rejected_fixes',
        'reports',
        'routes',
        'schools',
        'share_links',
        'speed_zones',
        'staff_notices',
        'stop_events',
        'stops',
        'student_stops',
        'students',
        'trip_sweeps',
        'trips',
        'user_schools',
        'users',
        'violations',
      ].sort(),
    );
  });

  it('apply again without error or change (idempotent at start-up)', async () => {
    await applyMigrations(database);
    const rows = await database.query<{ n: number }>('select count(*)::int as n from drizzle.__drizzle_migrations');
    expect(rows[0]!.n).toBe(readdirSync(migrationsFolder).filter((f) => f.endsWith('.sql')).length);
  });

  it('index positions by (bus, time) and make (device, time) the identity of a fix', async () => {
    const idx = await database.query<{ indexdef: string }>(
      "select indexdef from pg_indexes where tablename = 'positions'",
    );
    const defs = idx.map((i) => i.indexdef).join('\n');
    expect(defs).toMatch(/positions_bus_time_idx.*\(bus_id, "?time"?\)/);
    expect(defs).toMatch(/positions_pk.*\(device_id, "?time"?\)/);
  });
});
