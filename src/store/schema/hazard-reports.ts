// Hazard reports (举报隐患) from guardians and the public, with up to three photos (metadata stripped), each
// opening a `hazardReport` case; the reporter follows it by receipt code.
import { customType, doublePrecision, index, integer, pgTable, text } from 'drizzle-orm/pg-core';
import { createdAt, id, tsz } from './columns';
import { buses } from './buses';
import { guardians } from './people';
import { routes } from './routes';
import { schools } from './schools';
import { violations } from './violations';

const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({ dataType: () => 'bytea' });

export const hazardReports = pgTable(
  'hazard_reports',
  {
    id: id(),
    /** Shown once to the reporter; the key of GET /hazard-reports/{receipt}. */
    receipt: text('receipt').notNull().unique(),
    category: text('category').notNull(),
    /** Normalised plate as reported (null when none was given). */
    plate: text('plate'),
    busId: integer('bus_id').references(() => buses.id, { onDelete: 'set null' }),
    routeId: integer('route_id').references(() => routes.id, { onDelete: 'set null' }),
    /** The school the case went to; null for a district-level case. */
    schoolId: integer('school_id').references(() => schools.id, { onDelete: 'set null' }),
    lat: doublePrecision('lat'),
    lon: doublePrecision('lon'),
    placeText: text('place_text'),
    occurredAt: tsz('occurred_at').notNull(),
    description: text('description').notNull(),
    /** 'public' (no account) or 'guardian'. */
    source: text('source').notNull(),
    guardianId: integer('guardian_id').references(() => guardians.id, { onDelete: 'set null' }),
    /** SHA-256 of the client address (rate limit), never the address itself. */
    clientKey: text('client_key').notNull(),
    violationId: integer('violation_id').references(() => violations.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
  },
  (t) => [
    index('hazard_reports_client_idx').on(t.clientKey, t.createdAt),
    index('hazard_reports_plate_idx').on(t.plate, t.createdAt),
    index('hazard_reports_violation_idx').on(t.violationId),
  ],
);

export const hazardReportPhotos = pgTable(
  'hazard_report_photos',
  {
    id: id(),
    reportId: integer('report_id')
      .notNull()
      .references(() => hazardReports.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    contentType: text('content_type').notNull(),
    sizeBytes: integer('size_bytes').notNull(),
    data: bytea('data').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('hazard_report_photos_report_idx').on(t.reportId, t.seq)],
);
