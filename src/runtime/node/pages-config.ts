// Configuration of the web pages from the environment (the lead wires these into config.ts / README):
//   TILE_URL               map tiles, {z}/{x}/{y} template (http or https); unset = no tiles, plain background
//   TILE_ATTRIBUTION       the tile provider's attribution text, shown under maps
import { z } from 'zod';
import type { PagesConfig } from '../../pages/shell';
import { tileOrigin } from '../../pages/shell';

const schema = z.object({
  TILE_URL: z
    .string()
    .refine((u) => /\{z\}/.test(u) && /\{x\}/.test(u) && /\{y\}/.test(u), 'TILE_URL needs {z}, {x} and {y}')
    .refine((u) => tileOrigin(u) !== undefined, 'TILE_URL must be an http(s) URL')
    .optional(),
  TILE_ATTRIBUTION: z.string().max(200).optional(),
});

export function pagesConfigFromEnv(env: Record<string, string | undefined>): PagesConfig {
  const given = Object.fromEntries(Object.entries(env).filter(([k, v]) => (k === 'TILE_URL' || k === 'TILE_ATTRIBUTION') && v !== undefined && v !== ''));
  const parsed = schema.safeParse(given);
  if (!parsed.success) throw new Error(`Invalid configuration:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`);
  return { tileUrl: parsed.data.TILE_URL, tileAttribution: parsed.data.TILE_ATTRIBUTION };
}
