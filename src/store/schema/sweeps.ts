// End-of-trip sweep (R9, Art. 38–39): the attendant's "no child left aboard" confirmation per trip, and the
// critical alert raised when it is missing or the bus is not empty.
import { boolean, index, integer, pgTable, text } from 'drizzle-orm/pg-core';
import { createdAt, tsz, updatedAt } from './columns';
import { trips } from './trips';
import { users } from './users';

export const sweepAlertReasons = ['onboard_not_zero', 'not_confirmed_empty', 'no_confirmation'] as const;

export const tripSweeps = pgTable(
  'trip_sweeps',
  {
    tripId: integer('trip_id')
      .primaryKey()
      .references(() => trips.id, { onDelete: 'cascade' }),
    confirmedAt: tsz('confirmed_at'),
    confirmedByUserId: integer('confirmed_by_user_id').references(() => users.id, { onDelete: 'set null' }),
    confirmedEmpty: boolean('confirmed_empty'),
    /** Onboard count (boarded − got off, from the boarding records) when the sweep was confirmed. */
    onboardAtConfirm: integer('onboard_at_confirm'),
    note: text('note'),
    /** Set once the "child possibly left on board" alert was raised for the trip (raised at most once). */
    alertRaisedAt: tsz('alert_raised_at'),
    alertReason: text('alert_reason', { enum: sweepAlertReasons }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('trip_sweeps_alert_idx').on(t.alertRaisedAt)],
);
