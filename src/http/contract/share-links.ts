// Trusted-adult share links: a guardian's links (the secret is shown once, at creation) and what a link shows.
import { z } from 'zod';
import { instant, int, text } from './common';

export const shareLink = z.strictObject({
  id: int,
  studentId: int,
  label: text.nullable(),
  createdAt: instant,
  expiresAt: instant,
  revokedAt: instant.nullable(),
  status: z.enum(['active', 'expired', 'revoked']),
});
export const shareLinkCreated = shareLink.extend({
  /** the link's secret: shown once, only its hash is stored */
  secret: text,
  /** the page to send to the trusted adult, e.g. /share/<secret> */
  path: text,
});
export const shareLinkList = z.strictObject({ items: z.array(shareLink) });

/** What a share link shows: the bus, the child's stop and the ETA; the child by given name only. */
export const sharedTrip = z.strictObject({
  childName: text,
  expiresAt: instant,
  stop: z.strictObject({ id: int, name: text }),
  trip: z
    .strictObject({
      id: int,
      status: text,
      plannedStartAt: instant,
      busPlate: text,
      /** estimated arrival at the child's stop (live while the trip runs, else the timetable); null once passed */
      etaMs: z.number().nullable(),
      etaSource: z.enum(['live', 'timetable']).nullable(),
      /** the bus's last position on this trip */
      position: z.strictObject({ lat: z.number(), lon: z.number(), timeMs: int }).nullable(),
    })
    .nullable(),
});

export type ShareLink = z.infer<typeof shareLink>;
export type ShareLinkCreated = z.infer<typeof shareLinkCreated>;
export type ShareLinkList = z.infer<typeof shareLinkList>;
export type SharedTrip = z.infer<typeof sharedTrip>;
