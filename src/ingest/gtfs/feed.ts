// Reading a GTFS feed (zip or a folder's files) into parsed rows. Pure: the caller does the file I/O.

import { unzipSync, type UnzipFileInfo } from 'fflate';
import { RouteImportError } from '../route-import';
import { parseCsv } from './csv';

export interface GtfsFeed {
  /** file name (e.g. 'shapes.txt') → rows */
  files: Map<string, Record<string, string>[]>;
}

/** Files that identify the folder holding the feed inside a zip. */
const FEED_MARKERS = ['routes.txt', 'trips.txt', 'stops.txt', 'stop_times.txt', 'shapes.txt', 'agency.txt'];

/** Default ceiling on the declared uncompressed size of the .txt entries of one zip. */
export const GTFS_ZIP_MAX_UNCOMPRESSED_BYTES = 1024 * 1024 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeText(fileName: string, content: string | Uint8Array): string {
  if (typeof content === 'string') return content;
  if (!(content instanceof Uint8Array)) {
    throw new RouteImportError(`${fileName}: content must be text or bytes`, 'gtfs_bad_csv', { file: fileName });
  }
  try {
    return utf8.decode(content); // also drops a leading byte-order mark
  } catch {
    throw new RouteImportError(`${fileName} is not valid UTF-8 text`, 'gtfs_bad_csv', { file: fileName });
  }
}

function parseFile(fileName: string, content: string | Uint8Array): Record<string, string>[] {
  const text = decodeText(fileName, content);
  try {
    return parseCsv(text);
  } catch (err) {
    if (err instanceof RouteImportError) {
      const details = (err.details ?? {}) as Record<string, unknown>;
      throw new RouteImportError(`${fileName}: ${err.message}`, err.code, { file: fileName, ...details });
    }
    throw err;
  }
}

function baseName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1]!;
}

function dirName(path: string): string {
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return cut < 0 ? '' : path.slice(0, cut);
}

function isIgnoredEntry(path: string): boolean {
  return path.split(/[\\/]/).some((part) => part === '__MACOSX' || part.startsWith('.'));
}

/**
 * Reads a GTFS feed from a folder's files: name → content. Names may carry a folder prefix; only the
 * base name counts. Only `.txt` files are read.
 */
export function readGtfsFiles(files: Record<string, string | Uint8Array>): GtfsFeed {
  if (typeof files !== 'object' || files === null) {
    throw new RouteImportError('GTFS files must be given as an object of name → content', 'gtfs_missing_file');
  }
  const out = new Map<string, Record<string, string>[]>();
  for (const [path, content] of Object.entries(files)) {
    const name = baseName(path);
    if (!name.toLowerCase().endsWith('.txt') || isIgnoredEntry(path)) continue;
    out.set(name, parseFile(name, content));
  }
  return { files: out };
}

/**
 * Reads a GTFS zip. The feed's files may sit at the top level or under one folder inside the zip.
 * Throws 'gtfs_bad_zip' when the bytes are not a readable zip or hold more than one feed folder.
 */
export function readGtfsZip(zip: Uint8Array, opts: { maxUncompressedBytes?: number } = {}): GtfsFeed {
  if (!(zip instanceof Uint8Array)) {
    throw new RouteImportError('GTFS zip must be given as bytes (Uint8Array)', 'gtfs_bad_zip');
  }
  // Local file header or empty-archive end record.
  const looksLikeZip =
    zip.length >= 4 && zip[0] === 0x50 && zip[1] === 0x4b && (zip[2] === 3 || zip[2] === 5) && (zip[3] === 4 || zip[3] === 6);
  if (!looksLikeZip) {
    throw new RouteImportError('GTFS upload is not a zip file (no PK signature)', 'gtfs_bad_zip', { sizeBytes: zip.length });
  }
  const limit = opts.maxUncompressedBytes ?? GTFS_ZIP_MAX_UNCOMPRESSED_BYTES;
  let declaredBytes = 0;
  let tooLarge = false;
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(zip, {
      filter: (file: UnzipFileInfo) => {
        if (!file.name.toLowerCase().endsWith('.txt') || isIgnoredEntry(file.name)) return false;
        declaredBytes += file.originalSize;
        if (declaredBytes > limit) tooLarge = true;
        return !tooLarge;
      },
    });
  } catch (err) {
    throw new RouteImportError(
      `GTFS zip could not be read: ${err instanceof Error ? err.message : String(err)}`,
      'gtfs_bad_zip',
    );
  }
  if (tooLarge) {
    throw new RouteImportError(
      `GTFS zip is too large: its text files exceed ${limit} bytes uncompressed`,
      'gtfs_bad_zip',
      { limitBytes: limit },
    );
  }

  // Group entries by folder and pick the folder that holds the feed.
  const byDir = new Map<string, Map<string, Uint8Array>>();
  for (const [path, bytes] of Object.entries(entries)) {
    const dir = dirName(path);
    let files = byDir.get(dir);
    if (!files) byDir.set(dir, (files = new Map()));
    files.set(baseName(path), bytes);
  }
  const candidates = [...byDir.entries()].filter(([, files]) => FEED_MARKERS.some((m) => files.has(m)));
  let chosen: Map<string, Uint8Array> | undefined;
  if (candidates.length === 1) {
    chosen = candidates[0]![1];
  } else if (candidates.length > 1) {
    const top = candidates.find(([dir]) => dir === '');
    if (!top) {
      throw new RouteImportError(
        `GTFS zip holds more than one feed folder (${candidates.map(([d]) => d).join(', ')}); upload one feed per zip`,
        'gtfs_bad_zip',
        { folders: candidates.map(([d]) => d) },
      );
    }
    chosen = top[1];
  }
  const files = new Map<string, Record<string, string>[]>();
  for (const [name, bytes] of chosen ?? []) files.set(name, parseFile(name, bytes));
  return { files };
}
