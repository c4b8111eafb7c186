// Checks one HTTP answer against the declared contract: a 2xx body against its operation's response schema, an
// error against the envelope (its code in the table, the status the table gives it). createTestApp runs this on
// every call, so every HTTP test doubles as a contract test.
import { operationsOf } from '../../src/http/app';
import { errorEnvelope, errorStatus } from '../../src/http/contract/errors';
import type { ApiRegistry } from '../../src/http/openapi';

export interface Answer {
  method: string;
  path: string;
  status: number;
  contentType: string | null;
  body: unknown;
}

/** A description of what breaks the contract, or undefined when the answer keeps it. */
export function contractProblem(api: ApiRegistry, a: Answer): string | undefined {
  const pathname = new URL(a.path, 'http://test').pathname;
  const json = (a.contentType ?? '').includes('application/json');
  if (a.status >= 400) {
    if (!json) return pathname.startsWith('/api/v1/') ? `error ${a.status} is not the JSON envelope` : undefined;
    const env = errorEnvelope.safeParse(a.body);
    if (!env.success) return `error body is not the envelope: ${env.error.message}`;
    const expected = errorStatus[env.data.error.code];
    return expected === a.status
      ? undefined
      : `error code ${env.data.error.code} is answered with ${a.status}, the table says ${expected}`;
  }
  if (!pathname.startsWith('/api/v1/') || pathname === '/api/v1/openapi.json' || a.status < 200 || a.status > 299)
    return undefined;
  const op = api.match(a.method, pathname);
  if (!op) return `no operation declared for ${a.method} ${pathname}`;
  const schema = op.responses[a.status as keyof typeof op.responses];
  if (schema === undefined) return `${op.method} ${op.path} answered ${a.status}, which it does not declare`;
  if (schema === null)
    return a.body === null || a.body === '' ? undefined : `${op.method} ${op.path} ${a.status} declares no body`;
  if (!json)
    return op.alsoAs?.some((t) => a.contentType!.startsWith(t))
      ? undefined
      : `${op.method} ${op.path} answered ${a.contentType}`;
  const r = schema.safeParse(a.body);
  return r.success
    ? undefined
    : `${op.method} ${op.path} ${a.status} body does not match its schema: ${JSON.stringify(r.error.issues.slice(0, 5))}`;
}

/** Throws when an answer of an app made by createApp breaks the contract (for tests that build their own app). */
export function assertContract(
  app: Parameters<typeof operationsOf>[0],
  method: string,
  path: string,
  res: Response,
  body: unknown,
): void {
  const problem = contractProblem(operationsOf(app), {
    method,
    path,
    status: res.status,
    contentType: res.headers.get('content-type'),
    body,
  });
  if (problem) throw new Error(`HTTP contract broken by ${method} ${path}: ${problem}`);
}
