// GTFS route import: pure parsers over a feed the caller has read (zip bytes or a folder's files).
export { parseCsv } from './csv';
export { readGtfsFiles, readGtfsZip, GTFS_ZIP_MAX_UNCOMPRESSED_BYTES, type GtfsFeed } from './feed';
export { gtfsRoute, gtfsRoutes, listGtfsRoutes, type GtfsRouteSelector, type GtfsRouteSummary } from './routes';
