// What a push carries for one guardian notice: a title and body in the guardian's language, a tag per trip and
// stop (the service worker shows it with that tag, so a newer notice replaces an older one on the lock screen),
// the page to open on a click, and the RFC 8030 Topic header (a newer push replaces one still queued at the push
// service). Pure.
import type { Locale } from '../notice-rules';

export interface PushNotice {
  id: number;
  kind: string;
  tripId: number | null;
  payload: Record<string, unknown>;
  textZh: string;
  textEn: string;
}

export interface PushPayload {
  title: string;
  body: string;
  tag: string;
  /** the page a click opens (same origin, path only) */
  url: string;
  noticeId: number;
  kind: string;
  tripId: number | null;
  lang: Locale;
}

const titles: Record<string, [zh: string, en: string]> = {
  'trip.started': ['校车已发车', 'Bus on its way'],
  'trip.late': ['校车晚点', 'Bus running late'],
  'trip.cancelled': ['行程取消', 'Trip cancelled'],
  approaching: ['校车即将到站', 'Bus approaching'],
  'stop.arrived': ['校车已到站', 'Bus at the stop'],
  'stop.departed': ['校车已离站', 'Bus has left the stop'],
  'school.arrived': ['校车已到校', 'Bus at school'],
  'bus.substituted': ['更换车辆', 'Different bus today'],
  'student.boarded': ['孩子已上车', 'Boarded'],
  'student.alighted': ['孩子已下车', 'Got off the bus'],
  'student.notBoarded': ['孩子未上车', 'Did not board'],
  'student.wrongBus': ['孩子上错车', 'Boarded another bus'],
};

function subject(n: PushNotice): string {
  const p = n.payload;
  if (p.stopId != null && /^[\w-]{1,12}$/.test(String(p.stopId))) return `s${String(p.stopId)}`;
  if (typeof p.studentId === 'number') return `c${p.studentId}`;
  return '';
}

export function pushPayload(n: PushNotice, locale: Locale): PushPayload {
  const [zh, en] = titles[n.kind] ?? ['校车通知', 'School bus'];
  const trip = n.tripId == null ? 'none' : String(n.tripId);
  const sub = subject(n);
  return {
    title: locale === 'en' ? en : zh,
    body: locale === 'en' ? n.textEn : n.textZh,
    tag: `bg-trip-${trip}${sub ? `-${sub}` : ''}`,
    url: n.tripId == null ? '/parent' : `/parent?trip=${n.tripId}`,
    noticeId: n.id,
    kind: n.kind,
    tripId: n.tripId,
    lang: locale,
  };
}

/** RFC 8030 Topic (at most 32 base64url characters): one per trip and stop, like the tag. */
export function pushTopic(n: PushNotice): string {
  return `t${n.tripId ?? 0}${subject(n)}`.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 32);
}
