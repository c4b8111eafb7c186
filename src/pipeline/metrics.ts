// A small metrics registry rendered in the Prometheus text format (counters, gauges, summaries).
type Labels = Record<string, string>;

const key = (labels: Labels) =>
  Object.keys(labels)
    .sort()
    .map((k) => `${k}="${String(labels[k]).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join(',');

/** A summary computed elsewhere (a histogram of its own): quantiles, and the cumulative sum and count. */
export interface SummaryReading {
  quantiles: [quantile: number, value: number][];
  sum: number;
  count: number;
}

interface Family {
  help: string;
  type: 'counter' | 'gauge' | 'summary';
  values: Map<string, number>;
  gauges?: Map<string, () => number>;
  samples?: Map<string, number[]>;
  readings?: Map<string, () => SummaryReading>;
}

const SAMPLE_WINDOW = 1024;

export class Metrics {
  private readonly families = new Map<string, Family>();
  private readonly renderHooks: (() => void)[] = [];

  /** Runs before each render (a gauge family that takes one snapshot per scrape). */
  beforeRender(hook: () => void): void {
    this.renderHooks.push(hook);
  }

  private family(name: string, type: Family['type'], help: string): Family {
    let f = this.families.get(name);
    if (!f) {
      f = { help, type, values: new Map() };
      this.families.set(name, f);
    }
    return f;
  }

  counter(name: string, help: string) {
    const f = this.family(name, 'counter', help);
    return {
      inc: (labels: Labels = {}, n = 1) => {
        const k = key(labels);
        f.values.set(k, (f.values.get(k) ?? 0) + n);
      },
      get: (labels: Labels = {}) => f.values.get(key(labels)) ?? 0,
    };
  }

  /** A gauge read when rendered. */
  gauge(name: string, help: string, read: () => number, labels: Labels = {}) {
    const f = this.family(name, 'gauge', help);
    (f.gauges ??= new Map()).set(key(labels), read);
  }

  /** A counter kept elsewhere (a server's own stats), read when rendered. */
  counterFrom(name: string, help: string, read: () => number, labels: Labels = {}) {
    const f = this.family(name, 'counter', help);
    (f.gauges ??= new Map()).set(key(labels), read);
  }

  /** Observations kept in a sliding window; rendered as quantiles, sum and count. */
  summary(name: string, help: string) {
    const f = this.family(name, 'summary', help);
    f.samples ??= new Map();
    return {
      observe: (value: number, labels: Labels = {}) => {
        const k = key(labels);
        const s = f.samples!.get(k) ?? [];
        if (s.length >= SAMPLE_WINDOW) s.shift();
        s.push(value);
        f.samples!.set(k, s);
        f.values.set(k + '|sum', (f.values.get(k + '|sum') ?? 0) + value);
        f.values.set(k + '|count', (f.values.get(k + '|count') ?? 0) + 1);
      },
    };
  }

  /** A summary kept elsewhere, read when rendered. */
  summaryFrom(name: string, help: string, read: () => SummaryReading, labels: Labels = {}) {
    const f = this.family(name, 'summary', help);
    (f.readings ??= new Map()).set(key(labels), read);
  }

  render(): string {
    for (const hook of this.renderHooks) hook();
    const out: string[] = [];
    for (const [name, f] of this.families) {
      out.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.type}`);
      const braces = (k: string, extra = '') => {
        const inner = [k, extra].filter(Boolean).join(',');
        return inner ? `{${inner}}` : '';
      };
      if (f.type === 'counter') for (const [k, v] of f.values) out.push(`${name}${braces(k)} ${v}`);
      if (f.type === 'counter' || f.type === 'gauge')
        for (const [k, read] of f.gauges ?? []) out.push(`${name}${braces(k)} ${read()}`);
      if (f.type === 'summary') {
        const summary = (k: string, r: SummaryReading) => {
          for (const [q, v] of r.quantiles) out.push(`${name}${braces(k, `quantile="${q}"`)} ${v}`);
          out.push(`${name}_sum${braces(k)} ${r.sum}`, `${name}_count${braces(k)} ${r.count}`);
        };
        for (const [k, samples] of f.samples ?? []) {
          const sorted = [...samples].sort((a, b) => a - b);
          summary(k, {
            quantiles: [0.5, 0.9, 0.99].map((q) => [
              q,
              sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0,
            ]),
            sum: f.values.get(k + '|sum') ?? 0,
            count: f.values.get(k + '|count') ?? 0,
          });
        }
        for (const [k, read] of f.readings ?? []) summary(k, read());
      }
    }
    return out.join('\n') + '\n';
  }
}
