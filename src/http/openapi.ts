// A small registry of the API's operations; the OpenAPI document is built from the same zod schemas that validate.
import { z } from 'zod';

export interface OperationDoc {
  method: 'get' | 'post' | 'patch' | 'put' | 'delete';
  /** OpenAPI path under /api/v1, e.g. /buses/{id}. */
  path: string;
  summary: string;
  tag: string;
  roles: string;
  body?: z.ZodType;
  query?: z.ZodType;
  success?: number;
}

export class ApiRegistry {
  readonly operations: OperationDoc[] = [];
  add(op: OperationDoc) {
    this.operations.push(op);
  }

  document(): Record<string, unknown> {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const op of this.operations) {
      const params = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'integer' } }));
      if (op.query) {
        const js = toSchema(op.query) as { properties?: Record<string, unknown>; required?: string[] };
        for (const [name, schema] of Object.entries(js.properties ?? {})) {
          params.push({ name, in: 'query', required: (js.required ?? []).includes(name), schema } as never);
        }
      }
      const success = String(op.success ?? 200);
      (paths['/api/v1' + op.path] ??= {})[op.method] = {
        summary: op.summary,
        tags: [op.tag],
        description: `Roles: ${op.roles}`,
        security: [{ bearer: [] }],
        parameters: params.length ? params : undefined,
        requestBody: op.body ? { required: true, content: { 'application/json': { schema: toSchema(op.body) } } } : undefined,
        responses: {
          [success]: { description: 'Success' },
          '400': { $ref: '#/components/responses/Error' },
          '401': { $ref: '#/components/responses/Error' },
          '403': { $ref: '#/components/responses/Error' },
          '404': { $ref: '#/components/responses/Error' },
          '409': { $ref: '#/components/responses/Error' },
        },
      };
    }
    return {
      openapi: '3.1.0',
      info: { title: 'busguard API', version: '1' },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
        responses: {
          Error: {
            description: 'Error envelope',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    error: {
                      type: 'object',
                      required: ['code', 'message', 'requestId'],
                      properties: { code: { type: 'string' }, message: { type: 'string' }, details: {}, requestId: { type: 'string' } },
                    },
                  },
                },
              },
            },
          },
        },
      },
      paths,
    };
  }
}

function toSchema(schema: z.ZodType): unknown {
  try {
    return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  } catch {
    return {};
  }
}
