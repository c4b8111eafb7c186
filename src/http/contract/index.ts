// The HTTP contract: response schemas of every operation and the error codes. The server declares its routes with
// these schemas (src/http/openapi.ts); the pages import only the types (`import type`), so no zod reaches them.
export * from './attendance';
export * from './auth';
export * from './common';
export * from './compliance';
export * from './errors';
export * from './live';
export * from './registry';
export * from './reports';
export * from './telemetry';
export * from './violations';
export * from './push';
export * from './share-links';
export * from './staff-notices';
export * from './hazard-reports';
export * from './sos';
export * from './inspections';
export * from './dashboard';
export * from './parent-link';
export * from './route-preview';
