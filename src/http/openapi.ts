// The API's operations, each declared once: method, path, roles, request schemas and a response schema per success
// status. Declaring one registers its Hono handler and documents it; the OpenAPI document is built from the same
// zod schemas that validate requests and describe responses (src/http/contract).
import type { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv, Ctx } from './context';
import { errorCodes, errorEnvelope, errorStatus } from './contract/errors';

export type Method = 'get' | 'post' | 'patch' | 'put' | 'delete';
export type SuccessStatus = 200 | 201 | 202 | 204;

export interface Operation {
  method: Method;
  /** OpenAPI path under /api/v1, e.g. /buses/{id}. */
  path: string;
  summary: string;
  tag: string;
  roles: string;
  body?: z.ZodType;
  query?: z.ZodType;
  /** The JSON body of each success status; null for a status without a body (204). */
  responses: Partial<Record<SuccessStatus, z.ZodType | null>>;
  /** Other media types the 200 answer can take (a report as CSV or HTML), as text. */
  alsoAs?: string[];
}

export type RouteHandler = (c: Ctx) => Response | Promise<Response>;

const errorStatuses = ['400', '401', '403', '404', '409'];

export class ApiRegistry {
  readonly operations: Operation[] = [];
  private readonly patterns: RegExp[] = [];

  /** Registers the handler on the app and documents the operation. */
  route(app: Hono<AppEnv>, op: Operation, handler: RouteHandler): void {
    if (!Object.keys(op.responses).some((s) => s.startsWith('2')))
      throw new Error(`${op.method} ${op.path}: declare the response of its success status`);
    this.operations.push(op);
    this.patterns.push(new RegExp(`^/api/v1${op.path.replace(/\{\w+\}/g, '[^/]+')}$`));
    app.on(op.method.toUpperCase(), `/api/v1${op.path.replace(/\{(\w+)\}/g, ':$1')}`, handler);
  }

  /** The operation a request reaches (the first declared that matches, as Hono routes). */
  match(method: string, pathname: string): Operation | undefined {
    const m = method.toLowerCase();
    return this.operations.find((op, i) => op.method === m && this.patterns[i]!.test(pathname));
  }

  document(): Record<string, unknown> {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const op of this.operations) {
      const params = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
        name: m[1],
        in: 'path',
        required: true,
        schema: { type: m[1] === 'receipt' ? 'string' : 'integer' },
      }));
      if (op.query) {
        const js = toSchema(op.query, 'input') as { properties?: Record<string, unknown>; required?: string[] };
        for (const [name, schema] of Object.entries(js.properties ?? {})) {
          params.push({ name, in: 'query', required: (js.required ?? []).includes(name), schema } as never);
        }
      }
      const responses: Record<string, unknown> = {};
      for (const [status, schema] of Object.entries(op.responses)) {
        if (schema === null || schema === undefined) {
          responses[status] = { description: 'No content' };
          continue;
        }
        const content: Record<string, unknown> = { 'application/json': { schema: toSchema(schema, 'output') } };
        if (status === '200') for (const type of op.alsoAs ?? []) content[type] = { schema: { type: 'string' } };
        responses[status] = { description: 'Success', content };
      }
      for (const s of errorStatuses) responses[s] = { $ref: '#/components/responses/Error' };
      responses.default = { $ref: '#/components/responses/Error' };
      (paths['/api/v1' + op.path] ??= {})[op.method] = {
        summary: op.summary,
        tags: [op.tag],
        description: `Roles: ${op.roles}`,
        security: [{ bearer: [] }],
        parameters: params.length ? params : undefined,
        requestBody: op.body
          ? { required: true, content: { 'application/json': { schema: toSchema(op.body, 'input') } } }
          : undefined,
        responses,
      };
    }
    return {
      openapi: '3.1.0',
      info: { title: 'busguard API', version: '1' },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
        schemas: {
          ErrorCode: {
            type: 'string',
            enum: errorCodes,
            description: 'Every error code, answered with the HTTP status in x-status-by-code.',
            'x-status-by-code': errorStatus,
          },
        },
        responses: {
          Error: {
            description: 'Error envelope; the status follows from error.code (components.schemas.ErrorCode)',
            content: { 'application/json': { schema: toSchema(errorEnvelope, 'output') } },
          },
        },
      },
      paths,
    };
  }
}

function toSchema(schema: z.ZodType, io: 'input' | 'output'): unknown {
  try {
    const { $schema: _drop, ...js } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
    return js;
  } catch {
    return {};
  }
}
