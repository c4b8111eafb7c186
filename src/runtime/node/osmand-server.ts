// The OsmAnd protocol on its own port (Traccar's default 5055), so phone apps work with their defaults.
import { Hono } from 'hono';
import { BODY_LIMITS, bodyLimits } from '../../http/body-limit';
import type { AppDeps, AppEnv } from '../../http/context';
import { errorResponse, requestIdMiddleware } from '../../http/middleware';
import { osmandHandler } from '../../http/resources/telemetry';
import { serveHttp } from './listen';

export function createOsmandApp(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.use('*', requestIdMiddleware());
  app.use(
    '*',
    bodyLimits(() => BODY_LIMITS.osmandBytes),
  );
  // The same envelope as the main port: 503 + Retry-After while storage is down, never a bare 500.
  app.onError(errorResponse(deps));
  app.all('*', osmandHandler(deps));
  return app;
}

export function startOsmandServer(deps: AppDeps, opts: { port: number; host: string }) {
  const app = createOsmandApp(deps);
  return serveHttp(app.fetch, opts);
}
