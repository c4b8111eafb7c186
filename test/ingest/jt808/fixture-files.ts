// Reads the JT/T 808 fixtures in place (test/fixtures/jt808, origins in test/fixtures/README.md).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const FIXTURE_DIR = new URL('../../fixtures/jt808/', import.meta.url);

export interface FrameRow {
  line: number;
  source: string;
  msgId: string;
  hex: string;
  expected: Record<string, any>;
  wireHex: string;
  notes: string;
}

export function loadFrameRows(): FrameRow[] {
  const text = readFileSync(fileURLToPath(new URL('frames.tsv', FIXTURE_DIR)), 'utf8');
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  return lines.slice(1).map((l, i) => {
    const cells = l.split('\t');
    if (cells.length < 6)
      throw new Error(`frames.tsv line ${i + 2}: expected 6 tab-separated columns, got ${cells.length}`);
    const [source, msgId, hex, expected, wireHex, notes] = cells as [string, string, string, string, string, string];
    return {
      line: i + 2,
      source,
      msgId,
      hex,
      expected: JSON.parse(expected),
      wireHex: wireHex === 'same' ? hex : wireHex,
      notes,
    };
  });
}

/** vectors.txt: "V<n> <label>: <hex>" lines → label id ("V2 frame 2013 …") and hex. */
export function loadVectors(): { id: string; label: string; hex: string }[] {
  const text = readFileSync(fileURLToPath(new URL('vectors.txt', FIXTURE_DIR)), 'utf8');
  const out: { id: string; label: string; hex: string }[] = [];
  for (const line of text.split('\n')) {
    const esc = /^(V\d+)\s+(\w+)\s+([0-9A-Fa-f ]+?)\s+->\s+([0-9A-Fa-f ]+)$/.exec(line.trim());
    if (esc) {
      out.push({ id: esc[1]!, label: `${esc[2]} input`, hex: esc[3]!.trim() });
      out.push({ id: esc[1]!, label: `${esc[2]} output`, hex: esc[4]!.trim() });
      continue;
    }
    const m = /^(V\d+)\s+([^:]*):\s*([0-9A-Fa-f ]+?)(?:\s+->\s+([0-9A-Fa-f ]+))?\s*$/.exec(line);
    if (!m) continue;
    out.push({ id: m[1]!, label: m[2]!.trim(), hex: m[3]!.trim() });
    if (m[4]) out.push({ id: m[1]!, label: `${m[2]!.trim()} (escaped)`, hex: m[4].trim() });
  }
  return out;
}

export function vector(id: string, labelPart = ''): string {
  const v = loadVectors().find((x) => x.id === id && x.label.includes(labelPart));
  if (!v) throw new Error(`vector ${id} ${labelPart} not found`);
  return v.hex;
}
