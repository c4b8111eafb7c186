// createApp(deps): the Hono application shared by the Node and Workers runtimes.
import { Hono } from 'hono';
import { bodyLimitFor, bodyLimits } from './body-limit';
import { createAuthenticator } from '../auth/authenticator';
import { bearerMatches } from '../auth/tokens';
import type { AppDeps, AppEnv } from './context';
import { registerCrud } from './crud';
import { envelope } from './errors';
import { accessLogMiddleware, authMiddleware, errorResponse, requestIdMiddleware } from './middleware';
import { ApiRegistry } from './openapi';
import { attendantsResource } from './resources/attendants';
import { busesResource } from './resources/buses';
import { devicesResource } from './resources/devices';
import { driversResource } from './resources/drivers';
import { guardiansResource } from './resources/guardians';
import { routesResource } from './resources/routes';
import { schoolsResource } from './resources/schools';
import { studentsResource } from './resources/students';
import { tripsResource } from './resources/trips';
import { registerUsers } from './resources/users';
import { registerRouteImport } from './resources/route-import';
import { registerTelemetry } from './resources/telemetry';
import { registerLive } from './resources/live';
import { registerAttendance } from './resources/attendance';
import { registerPreTripChecks } from './resources/pre-trip-checks';
import { registerInspections } from './resources/inspections';
import { registerDriverTrainings } from './resources/driver-trainings';
import { registerSos } from './resources/sos';
import { registerViolations } from './resources/violations';
import { registerCases } from './resources/cases';
import { registerHazardReports } from './resources/hazard-reports';
import { registerStaffNotices } from './resources/staff-notices';
import { registerCompliance } from './resources/compliance';
import { registerReports } from './resources/reports';
import { registerMe } from './resources/me';
import { registerDeviceRegistration } from './resources/device-registration';
import { registerPush } from './resources/push';
import { registerShareLinks } from './resources/share-links';
import { registerDashboard } from './resources/dashboard';
import { registerExports } from './resources/exports';
import { registerParentLink } from './resources/parent-link';
import { createPushService } from '../live/push/service';

export const registryResources = [
  schoolsResource,
  busesResource,
  devicesResource,
  driversResource,
  attendantsResource,
  routesResource,
  studentsResource,
  guardiansResource,
  tripsResource,
];

const registries = new WeakMap<Hono<AppEnv>, ApiRegistry>();

/** The operations declared on an app (tests check every response against them). */
export function operationsOf(app: Hono<AppEnv>): ApiRegistry {
  const api = registries.get(app);
  if (!api) throw new Error('not an app made by createApp');
  return api;
}

export function createApp(given: AppDeps) {
  // One authenticator (token cache, revocations) for the API and the live hub.
  const auth =
    given.auth ?? given.live?.auth ?? createAuthenticator({ database: given.database, now: given.now, log: given.log });
  const push = given.push ?? createPushService({ database: given.database, log: given.log, now: given.now });
  const deps: AppDeps & { push: typeof push } = { ...given, auth, push };
  const app = new Hono<AppEnv>();
  const api = new ApiRegistry();
  registries.set(app, api);
  app.use('*', requestIdMiddleware());
  app.use('*', accessLogMiddleware(deps));
  app.use('*', bodyLimits(bodyLimitFor)); // before any handler reads a body: 413 from Content-Length or while streaming
  app.onError(errorResponse(deps));
  app.notFound((c) =>
    c.json(envelope('not_found', `No route for ${c.req.method} ${c.req.path}`, c.get('requestId')), 404),
  );

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      // Answered within 2 s whatever the database does (a hung server must not hang the probe).
      await Promise.race([
        deps.database.query('select 1'),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('database did not answer within 2 s')), 2000);
        }),
      ]).finally(() => clearTimeout(timer));
      return c.json({ status: 'ready', database: deps.database.kind });
    } catch {
      c.header('Retry-After', '5');
      return c.json(envelope('unavailable', 'Database unreachable', c.get('requestId')), 503);
    }
  });
  // The document describes itself only here (it is not one of the operations it lists).
  app.get('/api/v1/openapi.json', (c) => c.json(api.document()));
  app.get('/metrics', (c) => {
    if (deps.metricsToken !== undefined && !bearerMatches(c.req.header('authorization'), deps.metricsToken)) {
      c.header('WWW-Authenticate', 'Bearer');
      return c.json(envelope('unauthorized', '/metrics needs the METRICS_TOKEN bearer token', c.get('requestId')), 401);
    }
    c.header('content-type', 'text/plain; version=0.0.4');
    return c.body(deps.ingest ? deps.ingest.metrics.render() : '');
  });

  const authenticate = authMiddleware(auth);
  // Open without a token: the document, what a share link shows (the link's secret is its credential), and hazard
  // reports (no account needed; a guardian's token, when sent, is checked).
  app.use('/api/v1/*', async (c, next) => {
    if (c.req.path === '/api/v1/openapi.json' || c.req.path.startsWith('/api/v1/shared/')) return next();
    if (isPublicHazardPath(c.req.method, c.req.path) && !c.req.header('authorization')) return next();
    return authenticate(c, next);
  });

  registerTelemetry(app, api, deps);
  registerLive(app, api, deps);
  registerUsers(app, api, deps);
  registerMe(app, api, deps);
  registerRouteImport(app, api, deps);
  registerAttendance(app, api, deps);
  registerPreTripChecks(app, api, deps);
  registerInspections(app, api, deps);
  registerDriverTrainings(app, api, deps);
  registerSos(app, api, deps);
  registerViolations(app, api, deps);
  registerCases(app, api, deps);
  registerStaffNotices(app, api, deps);
  registerHazardReports(app, api, deps);
  registerCompliance(app, api, deps);
  registerReports(app, api, deps);
  registerDeviceRegistration(app, api, deps);
  registerPush(app, api, deps);
  registerShareLinks(app, api, deps);
  registerDashboard(app, api, deps);
  registerExports(app, api, deps);
  registerParentLink(app, api, deps);
  for (const def of registryResources) registerCrud(app, api, deps, def);
  return app;
}

/** POST /api/v1/hazard-reports and GET /api/v1/hazard-reports/{receipt}: open to anyone. */
function isPublicHazardPath(method: string, path: string): boolean {
  return (
    (method === 'POST' && path === '/api/v1/hazard-reports') ||
    (method === 'GET' && /^\/api\/v1\/hazard-reports\/[^/]+$/.test(path))
  );
}
