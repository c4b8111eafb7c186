// GeoJSON route import (pure).
export { parseGeoJsonRoute, MAX_STOP_OFFSET_M, PART_JOIN_TOLERANCE_M, type GeoJsonIssue } from './parse-route';
