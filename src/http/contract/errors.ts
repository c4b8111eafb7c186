// Every error code the API answers with, and its HTTP status: the one table behind AppError, the error envelope
// in the OpenAPI document and the pages' ApiError.
import { z } from 'zod';

export const errorStatus = {
  // 400: the request is malformed or refers to something that does not exist
  bad_request: 400,
  validation_failed: 400,
  invalid_state: 400,
  bad_id: 400,
  invalid_json: 400,
  invalid_reference: 400,
  invalid_value: 400,
  // route import (src/ingest/route-import.ts RouteImportErrorCode, and the route-import endpoint itself)
  gtfs_bad_zip: 400,
  gtfs_bad_csv: 400,
  gtfs_missing_file: 400,
  gtfs_missing_column: 400,
  gtfs_not_found: 400,
  gtfs_invalid_value: 400,
  gtfs_no_shape: 400,
  gtfs_invalid_options: 400,
  gtfs_too_large: 413,
  route_too_large: 400,
  gtfs_route_required: 400,
  geojson_invalid: 400,
  geojson_stop_off_path: 400,
  // OsmAnd protocol reports (src/ingest/osmand decode errors, and the device lookup)
  missing_id: 400,
  bad_coordinates: 400,
  bad_timestamp: 400,
  bad_number: 400,
  bad_json: 400,
  unknown_device: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  /** a method the resource does not take (the JT/T 808 gateway's health and metrics listener: GET and HEAD only) */
  method_not_allowed: 405,
  conflict: 409,
  /** a share link that expired or was revoked */
  gone: 410,
  // the end-of-trip sweep before the bus reached its last stop (and before the trip ended)
  sweep_too_early: 409,
  // planning and check-in refused by a registry fact or an inspection
  route_not_approved: 409,
  bus_not_in_service: 409,
  pre_trip_check_failed: 409,
  pre_trip_check_missing: 409,
  payload_too_large: 413,
  /** too many requests from one client address (or about one plate): retry after Retry-After seconds */
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof errorStatus;
export type ErrorStatus = (typeof errorStatus)[ErrorCode];
/** The codes answered with one status, e.g. `CodeOf<400>`. */
export type CodeOf<S extends ErrorStatus> = {
  [K in ErrorCode]: (typeof errorStatus)[K] extends S ? K : never;
}[ErrorCode];

export const errorCodes = Object.keys(errorStatus) as [ErrorCode, ...ErrorCode[]];

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(errorStatus, code);
}

/** The one error envelope: { error: { code, message, details?, requestId } }. */
export const errorEnvelope = z.strictObject({
  error: z.strictObject({
    code: z.enum(errorCodes),
    message: z.string(),
    details: z.unknown().optional(),
    requestId: z.string(),
  }),
});
export type ErrorEnvelope = z.infer<typeof errorEnvelope>;
