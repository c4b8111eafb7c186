// A local Web Push service for tests (loopback HTTP). Each subscription it hands out has a real P-256 key pair and
// auth secret made here; a POST to it must carry a VAPID JWT (RFC 8292) that verifies, ES256, against the key in
// its `k=` (which must be the server's public key), and an aes128gcm body (RFC 8188 / RFC 8291) that decrypts with
// the subscription's private key. Written with node:crypto only, so it checks the server's library independently.
import { createECDH, createPublicKey, type ECDH, hkdfSync, randomBytes, verify, createDecipheriv } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedPush {
  subscription: string;
  headers: IncomingHttpHeaders;
  claims: { aud: string; exp: number; sub: string };
  /** the decrypted payload, parsed as JSON */
  payload: any;
}

export interface LocalSubscription {
  name: string;
  endpoint: string;
  keys: { p256dh: string; auth: string };
  ecdh: ECDH;
  authSecret: Buffer;
}

export interface LocalPushService {
  origin: string;
  /** host:port for PUSH_ALLOWED_HOSTS */
  hostPort: string;
  received: ReceivedPush[];
  /** requests refused by the checks (a test fails on any) */
  problems: string[];
  subscribe(name: string): LocalSubscription;
  /** answer the next POSTs to this subscription with these statuses (then 201) */
  failNext(name: string, ...statuses: number[]): void;
  /** the VAPID public key the JWTs must be signed with */
  expectKey(publicKey: string): void;
  close(): Promise<void>;
}

const b64 = (buf: Buffer) => buf.toString('base64url');

function verifyJwt(token: string, publicKey: Buffer): ReceivedPush['claims'] {
  const [h, p, s] = token.split('.');
  if (!h || !p || !s) throw new Error('JWT is not three parts');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString());
  if (header.alg !== 'ES256') throw new Error(`JWT alg ${header.alg}`);
  if (publicKey.length !== 65 || publicKey[0] !== 4) throw new Error('k= is not an uncompressed P-256 point');
  const key = createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: b64(publicKey.subarray(1, 33)), y: b64(publicKey.subarray(33, 65)) },
    format: 'jwk',
  });
  const ok = verify(
    'sha256',
    Buffer.from(`${h}.${p}`),
    { key, dsaEncoding: 'ieee-p1363' },
    Buffer.from(s, 'base64url'),
  );
  if (!ok) throw new Error('JWT signature does not verify');
  return JSON.parse(Buffer.from(p, 'base64url').toString());
}

/** RFC 8291 §3.4 + RFC 8188: one aes128gcm record. */
export function decryptAes128gcm(body: Buffer, sub: Pick<LocalSubscription, 'ecdh' | 'authSecret'>): Buffer {
  const salt = body.subarray(0, 16);
  const rs = body.readUInt32BE(16);
  const idlen = body[20]!;
  const asPublic = body.subarray(21, 21 + idlen);
  const ciphertext = body.subarray(21 + idlen);
  if (idlen !== 65) throw new Error(`keyid length ${idlen}, expected the sender's 65-byte public key`);
  if (ciphertext.length > rs) throw new Error('more than one record');
  const uaPublic = sub.ecdh.getPublicKey();
  const ecdhSecret = sub.ecdh.computeSecret(asPublic);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), uaPublic, asPublic]);
  const ikm = Buffer.from(hkdfSync('sha256', ecdhSecret, sub.authSecret, keyInfo, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  const padded = Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - 16)), decipher.final()]);
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (padded[end] !== 2) throw new Error('missing the last-record delimiter');
  return padded.subarray(0, end);
}

export async function startLocalPushService(): Promise<LocalPushService> {
  const subs = new Map<string, LocalSubscription>();
  const failures = new Map<string, number[]>();
  const received: ReceivedPush[] = [];
  const problems: string[] = [];
  let expectedKey: string | undefined;
  let origin = '';
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const name = /^\/push\/([\w-]+)$/.exec(req.url ?? '')?.[1];
      const sub = name ? subs.get(name) : undefined;
      if (req.method !== 'POST' || !sub || !name) {
        res.writeHead(404).end();
        return;
      }
      const fail = failures.get(name)?.shift();
      if (fail) {
        res.writeHead(fail).end();
        return;
      }
      try {
        const auth = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(req.headers.authorization ?? '');
        if (!auth) throw new Error(`Authorization is not "vapid t=…, k=…": ${req.headers.authorization}`);
        if (expectedKey && auth[2] !== expectedKey) throw new Error('k= is not the server’s VAPID public key');
        const claims = verifyJwt(auth[1]!, Buffer.from(auth[2]!, 'base64url'));
        if (claims.aud !== origin) throw new Error(`aud ${claims.aud}, expected ${origin}`);
        const nowS = Date.now() / 1000;
        if (!(claims.exp > nowS && claims.exp <= nowS + 24 * 3600)) throw new Error(`exp ${claims.exp} out of range`);
        if (!/^(mailto:|https:)/.test(claims.sub)) throw new Error(`sub ${claims.sub}`);
        if (req.headers['content-encoding'] !== 'aes128gcm') throw new Error('Content-Encoding is not aes128gcm');
        if (!req.headers.ttl) throw new Error('no TTL header');
        const plain = decryptAes128gcm(Buffer.concat(chunks), sub);
        received.push({
          subscription: name,
          headers: req.headers,
          claims,
          payload: JSON.parse(plain.toString('utf8')),
        });
        res.writeHead(201).end();
      } catch (err) {
        problems.push(String(err));
        res.writeHead(400).end(String(err));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    hostPort: `127.0.0.1:${port}`,
    received,
    problems,
    subscribe(name) {
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const authSecret = randomBytes(16);
      const sub: LocalSubscription = {
        name,
        endpoint: `${origin}/push/${name}`,
        keys: { p256dh: b64(ecdh.getPublicKey()), auth: b64(authSecret) },
        ecdh,
        authSecret,
      };
      subs.set(name, sub);
      return sub;
    },
    failNext(name, ...statuses) {
      failures.set(name, [...(failures.get(name) ?? []), ...statuses]);
    },
    expectKey(publicKey) {
      expectedKey = publicKey;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
