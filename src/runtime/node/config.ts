// Configuration from the environment, validated once at start-up. Every default is listed in README.md.
import { z } from 'zod';
import { type PagesConfig, styleOrigin, tileOrigin } from '../../pages/shell';
import { DEFAULT_PUSH_ALLOWED_HOSTS, parseAllowedHosts } from '../../live/push/hosts';
import { vapidKeysProblem } from '../../live/push/keys';

const flag = z
  .enum(['0', '1', 'true', 'false', 'yes', 'no', ''])
  .optional()
  .transform((v) => (v === undefined || v === '' ? undefined : v === '1' || v === 'true' || v === 'yes'));

const port = (d: number) => z.coerce.number().int().min(0).max(65535).default(d);

export const configSchema = z
  .object({
    PORT: port(3000),
    HOST: z.string().default('0.0.0.0'),
    DATABASE_URL: z.string().url().optional(),
    DATA_DIR: z.string().default('./data'),
    ADMIN_TOKEN: z.string().min(16, 'ADMIN_TOKEN must be at least 16 characters').optional(),
    METRICS_TOKEN: z.string().min(16, 'METRICS_TOKEN must be at least 16 characters').optional(),
    DEMO: flag,
    SIMULATE: flag,
    LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    JT808_PORT: port(6808),
    OSMAND_PORT: port(5055),
    DEFAULT_TIME_ZONE: z
      .string()
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat('en', { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, 'unknown IANA time zone')
      .default('Asia/Shanghai'),
    TRIP_LATE_AFTER_MIN: z.coerce.number().int().min(1).max(240).default(10),
    COMPLIANCE_WARN_DAYS: z.coerce.number().int().min(1).max(365).default(30),
    RETENTION_POSITIONS_DAYS: z.coerce.number().int().min(1).max(3650).default(180),
    TILE_URL: z
      .string()
      .refine((u) => /\{z\}/.test(u) && /\{x\}/.test(u) && /\{y\}/.test(u), 'TILE_URL needs {z}, {x} and {y}')
      .refine((u) => tileOrigin(u) !== undefined, 'TILE_URL must be an http(s) URL')
      .optional(),
    TILE_ATTRIBUTION: z.string().max(200).optional(),
    MAP_STYLE_URL: z
      .string()
      .refine((u) => styleOrigin(u) !== undefined, 'MAP_STYLE_URL must be an http(s) URL of a MapLibre style')
      .optional(),
    PUSH_ALLOWED_HOSTS: z
      .string()
      .superRefine((v, ctx) => {
        try {
          parseAllowedHosts(v);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
        }
      })
      .optional(),
    VAPID_PUBLIC_KEY: z.string().optional(),
    VAPID_PRIVATE_KEY: z.string().optional(),
    VAPID_SUBJECT: z
      .string()
      .regex(/^(mailto:\S+@\S+|https:\/\/\S+)$/, 'VAPID_SUBJECT must be a mailto: or https: URL')
      .optional(),
    /** Outbound alert webhooks of the district: JSON [{"name","url","secret"}]. */
    ALERT_WEBHOOKS: z
      .string()
      .transform((s, ctx) => {
        try {
          return JSON.parse(s) as unknown;
        } catch {
          ctx.addIssue({ code: 'custom', message: 'ALERT_WEBHOOKS must be a JSON array' });
          return z.NEVER;
        }
      })
      .pipe(
        z
          .array(
            z
              .object({
                name: z.string().regex(/^[\w-]{1,40}$/, 'name: letters, digits, - or _ (at most 40)'),
                url: z.url({ protocol: /^https?$/ }),
                secret: z.string().min(16, 'secret must be at least 16 characters'),
              })
              .strict(),
          )
          .max(10)
          .refine((a) => new Set(a.map((e) => e.name)).size === a.length, 'endpoint names must differ'),
      )
      .optional(),
  })
  .superRefine((e, ctx) => {
    if (!e.VAPID_PUBLIC_KEY !== !e.VAPID_PRIVATE_KEY)
      ctx.addIssue({
        code: 'custom',
        path: ['VAPID_PRIVATE_KEY'],
        message: 'set VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY together',
      });
    else if (e.VAPID_PUBLIC_KEY && e.VAPID_PRIVATE_KEY) {
      const problem = vapidKeysProblem({ publicKey: e.VAPID_PUBLIC_KEY, privateKey: e.VAPID_PRIVATE_KEY });
      if (problem) ctx.addIssue({ code: 'custom', path: ['VAPID_PUBLIC_KEY'], message: problem });
    }
  });

export interface Config {
  port: number;
  host: string;
  databaseUrl?: string;
  dataDir: string;
  adminToken?: string;
  /** Bearer token /metrics requires; unset = /metrics is open (keep it on a private network then). */
  metricsToken?: string;
  /** Seed the demo district on an empty database: on by default with PGlite, off with DATABASE_URL unless DEMO=1. */
  demo: boolean;
  /** With the demo: drive the demo buses along their routes (fleet simulator over loopback). Default: on with the demo. */
  simulate: boolean;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  jt808Port: number;
  osmandPort: number;
  jobs: { defaultTimeZone: string; lateAfterMin: number; complianceWarnDays: number; keepRawPositionsDays: number };
  /** The pages' maps: a basemap style or raster tiles; without either they draw on a plain background (offline). */
  pages: PagesConfig;
  /** Web Push: push-service hosts the server may POST to, and the VAPID keys (generated and stored when unset). */
  push: { allowedHosts: string[]; vapid: { publicKey?: string; privateKey?: string; subject?: string } };
  /** Signed webhooks for critical alerts (none by default). */
  alertWebhooks: { name: string; url: string; secret: string }[];
}

export function loadConfig(env: Record<string, string | undefined>): Config {
  // An empty variable means "not set", as shells and env files often leave them.
  const given = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = configSchema.safeParse(given);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Invalid configuration:\n${lines}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    adminToken: e.ADMIN_TOKEN,
    metricsToken: e.METRICS_TOKEN,
    demo: e.DEMO ?? !e.DATABASE_URL,
    simulate: (e.DEMO ?? !e.DATABASE_URL) && (e.SIMULATE ?? true),
    logLevel: e.LOG_LEVEL,
    jt808Port: e.JT808_PORT,
    osmandPort: e.OSMAND_PORT,
    jobs: {
      defaultTimeZone: e.DEFAULT_TIME_ZONE,
      lateAfterMin: e.TRIP_LATE_AFTER_MIN,
      complianceWarnDays: e.COMPLIANCE_WARN_DAYS,
      keepRawPositionsDays: e.RETENTION_POSITIONS_DAYS,
    },
    pages: {
      mapStyleUrl: e.MAP_STYLE_URL,
      tileUrl: e.TILE_URL,
      tileAttribution: e.TILE_ATTRIBUTION,
      osmandPort: e.OSMAND_PORT,
    },
    push: {
      allowedHosts: e.PUSH_ALLOWED_HOSTS
        ? e.PUSH_ALLOWED_HOSTS.split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : [...DEFAULT_PUSH_ALLOWED_HOSTS],
      vapid: { publicKey: e.VAPID_PUBLIC_KEY, privateKey: e.VAPID_PRIVATE_KEY, subject: e.VAPID_SUBJECT },
    },
    alertWebhooks: e.ALERT_WEBHOOKS ?? [],
  };
}
