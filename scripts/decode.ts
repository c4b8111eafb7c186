// Debugging CLI for the device decoders.
//
//   npm run -s decode -- jt808  [--auth-code CODE]          < lines of wire frames in hex (spaces allowed)
//   npm run -s decode -- osmand [--server-tz-offset-min N]  < lines of request targets (/?id=…) or JSON bodies
//
// Prints one JSON object per non-empty input line: { "ok": true, … } or { "ok": false, "error": { code, message } }.
// Lines starting with '#' are skipped. It never exits non-zero because of bad input.
//
// JT/T 808: every terminal is treated as registered and authenticated, so that the replies shown
// are what a live server would send to a good terminal: 0x0102 is answered as if its code matched,
// 0x8100 carries --auth-code (default: the terminal's own phone digits), and the acks a server sends
// after storing positions are shown encoded with result 0. One session is kept per terminal across
// lines, so subpackages on consecutive lines are reassembled and platform serials count up.
import { createInterface } from 'node:readline';
import type { DeviceEvent, Fix } from '../src/core/fix';
import {
  createJt808Session,
  decodeAuth0102,
  encodePendingAck,
  fromHex,
  handleJt808Frame,
  normalizeJt808Phone,
  parseJt808Packet,
  plainAuthCodeTerminal,
  toHex,
  type Jt808Session,
} from '../src/ingest/jt808';
import { decodeOsmand, type PositionlessFix } from '../src/ingest/osmand';

type Json = Record<string, unknown>;

function iso(ms: number | undefined): string | undefined {
  return ms === undefined || !Number.isFinite(ms) ? undefined : new Date(ms).toISOString();
}

function fixJson(f: Fix | PositionlessFix): Json {
  const { timeMs, deviceId, protocol: _protocol, lat, lon, ...rest } = f as Fix;
  return {
    deviceId,
    time: iso(timeMs),
    ...(lat !== undefined ? { lat, lon } : {}),
    speedKph: rest.speedKph,
    headingDeg: rest.headingDeg,
    altitudeM: rest.altitudeM,
    accuracyM: rest.accuracyM,
    satellites: rest.satellites,
    valid: rest.valid,
    acc: rest.acc,
    doorOpen: rest.doorOpen,
    blindArea: rest.blindArea,
    alarms: rest.alarms,
    attributes: rest.attributes,
  };
}

function eventJson(e: DeviceEvent): Json {
  const { timeMs, ...rest } = e as DeviceEvent & { timeMs?: number };
  return timeMs === undefined ? rest : { ...rest, time: iso(timeMs) };
}

function msgIdText(id: number): string {
  return '0x' + id.toString(16).padStart(4, '0');
}

function decodedJson(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  const out: Json = {};
  for (const [k, val] of Object.entries(v as Json)) {
    if (k.endsWith('Ms') && typeof val === 'number') out[k.slice(0, -2) + 'Time'] = iso(val);
    else out[k] = val;
  }
  return out;
}

function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

const sessions = new Map<string, Jt808Session>();

function decodeJt808Line(line: string, authCodeArg: string | undefined): Json {
  let bytes = fromHex(line);
  if (!bytes)
    return {
      ok: false,
      error: { code: 'bad_hex', message: 'line is not hex (an even number of 0-9 a-f digits; spaces allowed)' },
    };
  if (bytes.length === 0) return { ok: false, error: { code: 'empty_frame', message: 'no bytes' } };
  if (bytes[0] !== 0x7e) {
    // Accept content pasted without its flags.
    const framed = new Uint8Array(bytes.length + 2);
    framed[0] = 0x7e;
    framed.set(bytes, 1);
    framed[framed.length - 1] = 0x7e;
    bytes = framed;
  }
  const peek = parseJt808Packet(bytes, { verifyChecksum: false });
  const header = peek.ok ? peek.packet.header : undefined;
  let authCode = authCodeArg;
  let session = createJt808Session();
  if (header) {
    const deviceId = normalizeJt808Phone(header.phone);
    session = sessions.get(deviceId) ?? {
      ...session,
      authenticated: true,
      deviceId,
      phone: header.phone,
      version: header.version,
      protocolVersion: header.protocolVersion,
    };
    if (header.msgId === 0x0102 && peek.ok) authCode = decodeAuth0102(peek.packet.body).authCode;
    authCode ??= deviceId;
  }
  const res = handleJt808Frame(session, bytes, {
    nowMs: 0,
    lookupTerminal: () => plainAuthCodeTerminal(authCode ?? ''),
  });
  if (header) {
    // Keep the terminal authenticated for the next lines, whatever this frame did.
    sessions.set(normalizeJt808Phone(header.phone), {
      ...res.session,
      authenticated: true,
      deviceId: normalizeJt808Phone(header.phone),
    });
  }
  const replies = [...res.replies, ...res.pendingAcks.map((a) => encodePendingAck(a, 0))].map((r) => toHex(r));
  const head: Json = header
    ? { msgId: msgIdText(header.msgId), phone: header.phone, serial: header.serial, version: header.version }
    : {};
  if (header?.protocolVersion !== undefined) head.protocolVersion = header.protocolVersion;
  if (res.dropped) {
    return {
      ok: false,
      error: { code: res.dropped.code, message: res.dropped.message },
      ...head,
      replies,
      errors: res.errors,
    };
  }
  const out: Json = {
    ok: true,
    ...head,
    fixes: res.fixes.map(fixJson),
    events: res.events.map(eventJson),
    replies,
  };
  if (!res.message) out.partial = true;
  if (res.message?.decoded !== undefined) out.decoded = decodedJson(res.message.decoded);
  if (res.errors.length > 0) out.errors = res.errors;
  return out;
}

function decodeOsmandLine(line: string, serverTzOffsetMin: number): Json {
  const isJson = line.startsWith('{') || line.startsWith('[');
  const res = decodeOsmand(isJson ? { target: '/', body: line, contentType: 'application/json' } : { target: line }, {
    receivedMs: Date.now(),
    serverTzOffsetMin,
  });
  if (res.errors.length > 0) {
    return { ok: false, error: res.errors[0], ...(res.deviceId ? { deviceId: res.deviceId } : {}), errors: res.errors };
  }
  return {
    ok: true,
    deviceId: res.deviceId,
    fixes: res.fixes.map(fixJson),
    ...(res.positionless.length > 0 ? { positionless: res.positionless.map(fixJson) } : {}),
    events: res.events.map(eventJson),
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const mode = args[0];
  if (mode !== 'jt808' && mode !== 'osmand') {
    process.stderr.write(
      'usage: decode jt808 [--auth-code CODE] | decode osmand [--server-tz-offset-min N]  (input on stdin, one item per line)\n',
    );
    process.exitCode = 2;
    return;
  }
  const authCode = argValue(args, '--auth-code');
  const tz = Number(argValue(args, '--server-tz-offset-min') ?? '0');
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const raw of rl) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    let out: Json;
    try {
      out = mode === 'jt808' ? decodeJt808Line(line, authCode) : decodeOsmandLine(line, Number.isFinite(tz) ? tz : 0);
    } catch (e) {
      out = { ok: false, error: { code: 'internal', message: e instanceof Error ? e.message : String(e) } };
    }
    process.stdout.write(JSON.stringify(out) + '\n');
  }
}

main().catch((e) => {
  process.stderr.write(`decode: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
