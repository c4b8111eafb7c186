// Generates (and stores) a report from the command line:
//   npm run report -- --school <id|name|all> --period 2026-09-01|2026-W36|2026-09 [--format json|csv|html] [--out FILE]
// --school all (or district) makes the district report. Uses DATABASE_URL / DATA_DIR like the service.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { eq } from 'drizzle-orm';
import { generateReport } from '../src/reports/generate';
import { parsePeriodKey } from '../src/reports/period';
import { reportCsv, reportHtml } from '../src/reports/render';
import type { Database } from '../src/store/db';
import { schools } from '../src/store/schema';

const usage = 'usage: npm run report -- --school <id|name|all> --period <YYYY-MM-DD|YYYY-Www|YYYY-MM> [--format json|csv|html] [--out FILE]';

export interface ReportCliResult {
  code: number;
  output: string;
  reportId?: number;
}

/** The CLI without process globals: parses argv, generates and stores the report, returns the rendered text. */
export async function reportCli(argv: string[], deps: { database: Database; nowMs: number; districtTimeZone?: string }): Promise<ReportCliResult> {
  let values: { school?: string; period?: string; format?: string; out?: string };
  try {
    ({ values } = parseArgs({ args: argv, options: { school: { type: 'string' }, period: { type: 'string' }, format: { type: 'string', default: 'json' }, out: { type: 'string' } } }));
  } catch (err) {
    return { code: 2, output: `${(err as Error).message}\n${usage}` };
  }
  if (!values.school || !values.period) return { code: 2, output: usage };
  const period = parsePeriodKey(values.period);
  if (!period) return { code: 2, output: `bad --period '${values.period}'\n${usage}` };
  if (!['json', 'csv', 'html'].includes(values.format!)) return { code: 2, output: `bad --format '${values.format}'\n${usage}` };
  let schoolId: number | null = null;
  if (!['all', 'district'].includes(values.school)) {
    const db = deps.database.db;
    const found = /^\d+$/.test(values.school)
      ? await db.select({ id: schools.id }).from(schools).where(eq(schools.id, Number(values.school)))
      : await db.select({ id: schools.id }).from(schools).where(eq(schools.name, values.school));
    if (!found[0]) return { code: 1, output: `no school '${values.school}'` };
    schoolId = found[0].id;
  }
  const { row, data } = await generateReport(deps.database.db, { schoolId, period, nowMs: deps.nowMs, source: 'cli', districtTimeZone: deps.districtTimeZone });
  const text = values.format === 'csv' ? reportCsv(data) : values.format === 'html' ? reportHtml(data) : JSON.stringify({ id: row.id, ...data }, null, 2) + '\n';
  if (values.out) {
    writeFileSync(values.out, text);
    return { code: 0, output: `report ${row.id} (${row.scope} ${row.periodKey}) written to ${values.out}`, reportId: row.id };
  }
  return { code: 0, output: text, reportId: row.id };
}

async function main() {
  const { loadConfig } = await import('../src/runtime/node/config');
  const { openDatabase } = await import('../src/runtime/node/database');
  const config = loadConfig(process.env);
  const database = await openDatabase(config);
  try {
    const r = await reportCli(process.argv.slice(2), { database, nowMs: Date.now() });
    (r.code === 0 ? process.stdout : process.stderr).write(r.output.endsWith('\n') ? r.output : r.output + '\n');
    process.exitCode = r.code;
  } finally {
    await database.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
