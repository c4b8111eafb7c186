import { CN_2012 } from './cn-2012';
import type { ConfigOverride, RuleConfig } from './types';

export type {
  RuleConfig,
  ConfigOverride,
  SeatClassBand,
  DeepPartial,
  CaseDeadlineConfig,
  InspectionConfig,
  RegistryConfig,
} from './types';
export { CN_2012, CN_2012_CASE_DEADLINES, CN_2012_INSPECTIONS, CN_2012_REGISTRY } from './cn-2012';

export const PRESETS: Record<string, RuleConfig> = { 'cn-2012': CN_2012 };

export function getPreset(name: string): RuleConfig {
  const preset = PRESETS[name];
  if (!preset) throw new Error(`unknown rule preset: ${name}`);
  return preset;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function mergeInto(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? mergeInto(current, value) : value;
  }
  return out;
}

/**
 * Applies overrides in order (e.g. deployment, school, route, zone) on top of a preset.
 * Objects merge key by key; arrays and scalars replace. The inputs are not modified.
 */
export function mergeConfig(base: RuleConfig, ...overrides: ReadonlyArray<ConfigOverride | undefined>): RuleConfig {
  let out = base as unknown as Record<string, unknown>;
  for (const o of overrides) if (o) out = mergeInto(out, o as Record<string, unknown>);
  return out as unknown as RuleConfig;
}
