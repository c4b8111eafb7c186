// The OsmAnd protocol on its own port (Traccar's default 5055), so phone apps work with their defaults.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { AppDeps, AppEnv } from '../../http/context';
import { requestIdMiddleware } from '../../http/middleware';
import { osmandHandler } from '../../http/resources/telemetry';

export function createOsmandApp(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.use('*', requestIdMiddleware());
  app.all('*', osmandHandler(deps));
  return app;
}

export function startOsmandServer(deps: AppDeps, opts: { port: number; host: string }) {
  const app = createOsmandApp(deps);
  return serve({ fetch: app.fetch, port: opts.port, hostname: opts.host });
}
