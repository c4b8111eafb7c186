// Configuration from the environment, validated once at start-up. Every default is listed in README.md.
import { z } from 'zod';

const flag = z
  .enum(['0', '1', 'true', 'false', 'yes', 'no', ''])
  .optional()
  .transform((v) => (v === undefined || v === '' ? undefined : v === '1' || v === 'true' || v === 'yes'));

const port = (d: number) => z.coerce.number().int().min(0).max(65535).default(d);

export const configSchema = z.object({
  PORT: port(3000),
  HOST: z.string().default('0.0.0.0'),
  DATABASE_URL: z.string().url().optional(),
  DATA_DIR: z.string().default('./data'),
  ADMIN_TOKEN: z.string().min(16, 'ADMIN_TOKEN must be at least 16 characters').optional(),
  DEMO: flag,
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  JT808_PORT: port(6808),
  OSMAND_PORT: port(5055),
});

export interface Config {
  port: number;
  host: string;
  databaseUrl?: string;
  dataDir: string;
  adminToken?: string;
  /** Seed the demo district on an empty database: on by default with PGlite, off with DATABASE_URL unless DEMO=1. */
  demo: boolean;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  jt808Port: number;
  osmandPort: number;
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
    demo: e.DEMO ?? !e.DATABASE_URL,
    logLevel: e.LOG_LEVEL,
    jt808Port: e.JT808_PORT,
    osmandPort: e.OSMAND_PORT,
  };
}
