// Trace readers for the replay tool and tests: CSV (time,lat,lon[,speedKph]), JSON lines of fixes,
// and the barefoot JSON array (POINT(lon lat) WKT with local time and offset).
import type { Fix } from '../../src/core/fix';

function parseTime(text: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) {
    const n = Number(t);
    return n < 1e11 ? Math.round(n * 1000) : Math.round(n); // seconds or milliseconds
  }
  // barefoot: '2014-09-10 06:54:07+0200' → ISO
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)([+-]\d{2}):?(\d{2})$/.exec(t);
  const ms = m ? Date.parse(`${m[1]}T${m[2]}${m[3]}:${m[4]}`) : Date.parse(t);
  if (!Number.isFinite(ms)) throw new Error(`unreadable time: ${text}`);
  return ms;
}

function baseFix(deviceId: string, timeMs: number, lat: number, lon: number, speedKph?: number): Fix {
  const f: Fix = { deviceId, protocol: 'json', timeMs, lat, lon, valid: true, alarms: [], attributes: {} };
  if (speedKph !== undefined && Number.isFinite(speedKph)) f.speedKph = speedKph;
  return f;
}

export function parseCsvTrace(text: string, deviceId = 'replay'): Fix[] {
  const lines = text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '');
  const [headerLine = ''] = lines; // empty text: no columns, so the header check below reports it
  const header = headerLine.split(',').map((h) => h.trim());
  const col = (name: string) => header.indexOf(name);
  const [ti, lai, loi, si] = [col('time'), col('lat'), col('lon'), col('speedKph')];
  if (ti < 0 || lai < 0 || loi < 0) throw new Error('CSV trace needs a header with time,lat,lon[,speedKph]');
  return lines.slice(1).map((line) => {
    const cells = line.split(',');
    const speed = si >= 0 && cells[si] !== undefined && cells[si].trim() !== '' ? Number(cells[si]) : undefined;
    return baseFix(deviceId, parseTime(cells[ti] ?? ''), Number(cells[lai]), Number(cells[loi]), speed);
  });
}

const WKT_POINT = /^\s*POINT\s*\(\s*(-?[\d.eE+-]+)\s+(-?[\d.eE+-]+)\s*\)\s*$/i;

/** barefoot format: [{ point: 'POINT(lon lat)', time: '2014-09-10 06:54:07+0200', id }] */
export function parseBarefootTrace(
  items: Array<{ point: string; time: string; id?: string }>,
  deviceId = 'replay',
): Fix[] {
  return items.map((it) => {
    const m = WKT_POINT.exec(it.point);
    if (!m) throw new Error(`unreadable point: ${it.point}`);
    return baseFix(deviceId, parseTime(it.time), Number(m[2]), Number(m[1]));
  });
}

/** One JSON object per line: a Fix (timeMs) or { time, lat, lon, speedKph? }. */
export function parseJsonLinesTrace(text: string, deviceId = 'replay'): Fix[] {
  return text
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '')
    .map((line) => {
      const o = JSON.parse(line) as Partial<Fix> & { time?: string | number };
      const timeMs = typeof o.timeMs === 'number' ? o.timeMs : parseTime(String(o.time));
      const f = baseFix(o.deviceId ?? deviceId, timeMs, Number(o.lat), Number(o.lon), o.speedKph);
      return {
        ...f,
        ...o,
        timeMs,
        alarms: o.alarms ?? [],
        attributes: o.attributes ?? {},
        valid: o.valid ?? true,
      } as Fix;
    });
}

/** Detects the format from the content. */
export function parseTrace(text: string, deviceId = 'replay'): Fix[] {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[')) return parseBarefootTrace(JSON.parse(trimmed), deviceId);
  if (trimmed.startsWith('{')) return parseJsonLinesTrace(text, deviceId);
  return parseCsvTrace(text, deviceId);
}
