// Generates (and stores) a report from the command line:
//   npm run report -- --school <id|name|all> --period 2026-09-01|2026-W36|2026-09 [--format json|csv|html] [--out FILE]
// --school all (or district) makes the district report. Uses DATABASE_URL / DATA_DIR like the service.
//
// While a busguard serves the embedded database (PGlite in DATA_DIR can have one process only), the report goes
// through that server's API instead: POST /api/v1/reports with an admin or manager token (--token, or
// $BUSGUARD_TOKEN / $ADMIN_TOKEN, or the demo manager token in DATA_DIR/demo-tokens.json), at --api URL or
// http://127.0.0.1:$PORT. Without a token it says exactly what to run.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { eq } from 'drizzle-orm';
import { generateReport } from '../src/reports/generate';
import { parsePeriodKey } from '../src/reports/period';
import { reportCsv, reportHtml } from '../src/reports/render';
import type { Database } from '../src/store/db';
import { schools } from '../src/store/schema';

const usage =
  'usage: npm run report -- --school <id|name|all> --period <YYYY-MM-DD|YYYY-Www|YYYY-MM> [--format json|csv|html] [--out FILE]';

export interface ReportCliResult {
  code: number;
  output: string;
  reportId?: number;
}

/** The CLI without process globals: parses argv, generates and stores the report, returns the rendered text. */
export async function reportCli(
  argv: string[],
  deps: { database: Database; nowMs: number; districtTimeZone?: string },
): Promise<ReportCliResult> {
  let values: { school?: string; period?: string; format?: string; out?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        school: { type: 'string' },
        period: { type: 'string' },
        format: { type: 'string', default: 'json' },
        out: { type: 'string' },
      },
    }));
  } catch (err) {
    return { code: 2, output: `${(err as Error).message}\n${usage}` };
  }
  if (!values.school || !values.period) return { code: 2, output: usage };
  const period = parsePeriodKey(values.period);
  if (!period) return { code: 2, output: `bad --period '${values.period}'\n${usage}` };
  if (!['json', 'csv', 'html'].includes(values.format!))
    return { code: 2, output: `bad --format '${values.format}'\n${usage}` };
  let schoolId: number | null = null;
  if (!['all', 'district'].includes(values.school)) {
    const db = deps.database.db;
    const found = /^\d+$/.test(values.school)
      ? await db
          .select({ id: schools.id })
          .from(schools)
          .where(eq(schools.id, Number(values.school)))
      : await db.select({ id: schools.id }).from(schools).where(eq(schools.name, values.school));
    if (!found[0]) return { code: 1, output: `no school '${values.school}'` };
    schoolId = found[0].id;
  }
  const { row, data } = await generateReport(deps.database.db, {
    schoolId,
    period,
    nowMs: deps.nowMs,
    source: 'cli',
    districtTimeZone: deps.districtTimeZone,
  });
  const text =
    values.format === 'csv'
      ? reportCsv(data)
      : values.format === 'html'
        ? reportHtml(data)
        : JSON.stringify({ id: row.id, ...data }, null, 2) + '\n';
  if (values.out) {
    writeFileSync(values.out, text);
    return {
      code: 0,
      output: `report ${row.id} (${row.scope} ${row.periodKey}) written to ${values.out}`,
      reportId: row.id,
    };
  }
  return { code: 0, output: text, reportId: row.id };
}

/** The API of a running busguard, when one answers at `apiUrl`. */
async function serverAnswers(apiUrl: string): Promise<boolean> {
  try {
    const res = await fetch(new URL('/readyz', apiUrl), { signal: AbortSignal.timeout(1500) });
    await res.arrayBuffer();
    return res.status === 200 || res.status === 503;
  } catch {
    return false;
  }
}

function tokenFromEnv(argv: string[], env: NodeJS.ProcessEnv, dataDir: string): string | undefined {
  const i = argv.indexOf('--token');
  if (i >= 0) return argv[i + 1];
  if (env.BUSGUARD_TOKEN) return env.BUSGUARD_TOKEN;
  if (env.ADMIN_TOKEN) return env.ADMIN_TOKEN;
  try {
    const demo = JSON.parse(readFileSync(join(dataDir, 'demo-tokens.json'), 'utf8')) as {
      tokens: { role: string; token: string }[];
    };
    return demo.tokens.find((t) => t.role === 'manager')?.token;
  } catch {
    return undefined;
  }
}

/** The same report through a running server's API. */
export async function reportViaApi(argv: string[], opts: { apiUrl: string; token: string }): Promise<ReportCliResult> {
  let values: { school?: string; period?: string; format?: string; out?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        school: { type: 'string' },
        period: { type: 'string' },
        format: { type: 'string', default: 'json' },
        out: { type: 'string' },
        api: { type: 'string' },
        token: { type: 'string' },
      },
    }));
  } catch (err) {
    return { code: 2, output: `${(err as Error).message}\n${usage}` };
  }
  if (!values.school || !values.period) return { code: 2, output: usage };
  if (!['json', 'csv', 'html'].includes(values.format!))
    return { code: 2, output: `bad --format '${values.format}'\n${usage}` };
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(new URL(path, opts.apiUrl), {
      method,
      headers: { authorization: `Bearer ${opts.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(60_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
    return text;
  };
  let schoolId: number | undefined;
  if (!['all', 'district'].includes(values.school)) {
    if (/^\d+$/.test(values.school)) schoolId = Number(values.school);
    else {
      const list = JSON.parse(await call('GET', '/api/v1/schools?limit=500')) as {
        items: { id: number; name: string }[];
      };
      schoolId = list.items.find((x) => x.name === values.school)?.id;
      if (schoolId === undefined) return { code: 1, output: `no school '${values.school}'` };
    }
  }
  const created = JSON.parse(
    await call('POST', '/api/v1/reports', { ...(schoolId !== undefined ? { schoolId } : {}), period: values.period }),
  ) as { id: number; data: unknown };
  const text =
    values.format === 'json'
      ? JSON.stringify({ id: created.id, ...(created.data as object) }, null, 2) + '\n'
      : await call('GET', `/api/v1/reports/${created.id}?format=${values.format}`);
  if (values.out) {
    writeFileSync(values.out, text);
    return {
      code: 0,
      output: `report ${created.id} written to ${values.out} (through the running server at ${opts.apiUrl})`,
      reportId: created.id,
    };
  }
  return { code: 0, output: text, reportId: created.id };
}

async function main() {
  const { loadConfig } = await import('../src/runtime/node/config');
  const { openDatabase } = await import('../src/runtime/node/database');
  const argv = process.argv.slice(2);
  const config = loadConfig(process.env);
  const apiIndex = argv.indexOf('--api');
  const apiUrl = apiIndex >= 0 ? argv[apiIndex + 1]! : `http://127.0.0.1:${config.port}`;
  const print = (r: ReportCliResult) => {
    (r.code === 0 ? process.stdout : process.stderr).write(r.output.endsWith('\n') ? r.output : r.output + '\n');
    process.exitCode = r.code;
  };
  // The embedded database belongs to the server while it runs: go through its API.
  if (apiIndex >= 0 || (!config.databaseUrl && (await serverAnswers(apiUrl)))) {
    const token = tokenFromEnv(argv, process.env, config.dataDir);
    if (!token) {
      print({
        code: 2,
        output:
          `A busguard server is running at ${apiUrl} and holds the embedded database in ${config.dataDir}.\n` +
          `Generate the report through it with an admin or manager token:\n` +
          `  npm run report -- ${argv.filter((a, i) => a !== '--api' && argv[i - 1] !== '--api').join(' ')} --api ${apiUrl} --token <token>\n` +
          `(or set BUSGUARD_TOKEN / ADMIN_TOKEN), or stop the server and run the command again.`,
      });
      return;
    }
    const strip = argv.filter(
      (a, i) => !['--api', '--token'].includes(a) && !['--api', '--token'].includes(argv[i - 1]!),
    );
    print(await reportViaApi(strip, { apiUrl, token }));
    return;
  }
  let database;
  try {
    database = await openDatabase(config);
  } catch (err) {
    print({
      code: 1,
      output:
        `Cannot open the database${config.databaseUrl ? '' : ` in ${config.dataDir}`}: ${err instanceof Error ? err.message : String(err)}\n` +
        (config.databaseUrl
          ? ''
          : `If a busguard server uses this data directory, run the report through its API:\n  npm run report -- ${argv.join(' ')} --api http://127.0.0.1:<PORT> --token <admin or manager token>`),
    });
    return;
  }
  try {
    print(await reportCli(argv, { database, nowMs: Date.now() }));
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
