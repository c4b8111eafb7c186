// Reading a GTFS feed (zip or a folder's files) into parsed rows. Pure: the caller does the file I/O.

import { Inflate } from 'fflate';
import { RouteImportError } from '../route-import';
import { parseCsv } from './csv';

export interface GtfsFeed {
  /** file name (e.g. 'shapes.txt') → rows */
  files: Map<string, Record<string, string>[]>;
}

/** Files that identify the folder holding the feed inside a zip. */
const FEED_MARKERS = ['routes.txt', 'trips.txt', 'stops.txt', 'stop_times.txt', 'shapes.txt', 'agency.txt'];

/**
 * Default ceiling on the uncompressed size of the .txt entries of one zip (declared sizes are checked before
 * anything is inflated, and the bytes actually inflated are counted, so a zip bomb is refused without
 * allocating what it would unpack to). A regional feed (Cairns: 3.6 MB) is far below it.
 */
export const GTFS_ZIP_MAX_UNCOMPRESSED_BYTES = 128 * 1024 * 1024;

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
    zip.length >= 4 &&
    zip[0] === 0x50 &&
    zip[1] === 0x4b &&
    (zip[2] === 3 || zip[2] === 5) &&
    (zip[3] === 4 || zip[3] === 6);
  if (!looksLikeZip) {
    throw new RouteImportError('GTFS upload is not a zip file (no PK signature)', 'gtfs_bad_zip', {
      sizeBytes: zip.length,
    });
  }
  const limit = opts.maxUncompressedBytes ?? GTFS_ZIP_MAX_UNCOMPRESSED_BYTES;
  let entries: Record<string, Uint8Array>;
  try {
    const wanted = zipEntries(zip).filter((e) => e.name.toLowerCase().endsWith('.txt') && !isIgnoredEntry(e.name));
    const declaredBytes = wanted.reduce((n, e) => n + e.uncompressedSize, 0);
    if (declaredBytes > limit) {
      throw new RouteImportError(
        `GTFS zip is too large: its text files exceed ${limit} bytes uncompressed`,
        'gtfs_too_large',
        { limitBytes: limit, declaredBytes },
      );
    }
    entries = {};
    for (const e of wanted) entries[e.name] = inflateEntry(zip, e);
  } catch (err) {
    if (err instanceof RouteImportError) throw err;
    throw new RouteImportError(
      `GTFS zip could not be read: ${err instanceof Error ? err.message : String(err)}`,
      'gtfs_bad_zip',
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

interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  dataStart: number;
}

const badZip = (message: string) => new RouteImportError(`GTFS zip could not be read: ${message}`, 'gtfs_bad_zip');
const latin1 = new TextDecoder('latin1');
const utf8Names = new TextDecoder('utf-8');

/** The entries of a zip from its central directory (no zip64: a GTFS feed of 4 GB is refused anyway). */
function zipEntries(zip: Uint8Array): ZipEntry[] {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const u16 = (at: number) => view.getUint16(at, true);
  const u32 = (at: number) => view.getUint32(at, true);
  let eocd = -1;
  for (let e = zip.length - 22; e >= 0 && zip.length - e <= 22 + 0xffff; e--) {
    if (u32(e) === 0x06054b50) {
      eocd = e;
      break;
    }
  }
  if (eocd < 0) throw badZip('no end of central directory');
  const count = u16(eocd + 10);
  let p = u32(eocd + 16);
  if (count === 0xffff || p === 0xffffffff) throw badZip('zip64 archives are not supported');
  const out: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (p + 46 > zip.length || u32(p) !== 0x02014b50) throw badZip('damaged central directory');
    const flags = u16(p + 8);
    const method = u16(p + 10);
    const compressedSize = u32(p + 20);
    const uncompressedSize = u32(p + 24);
    const nameLength = u16(p + 28);
    const localOffset = u32(p + 42);
    if (p + 46 + nameLength > zip.length) throw badZip('damaged central directory');
    const nameBytes = zip.subarray(p + 46, p + 46 + nameLength);
    const name = (flags & 0x800 ? utf8Names : latin1).decode(nameBytes);
    p += 46 + nameLength + u16(p + 30) + u16(p + 32);
    if (localOffset + 30 > zip.length || u32(localOffset) !== 0x04034b50) throw badZip(`damaged entry ${name}`);
    const dataStart = localOffset + 30 + u16(localOffset + 26) + u16(localOffset + 28);
    if (dataStart + compressedSize > zip.length) throw badZip(`entry ${name} runs past the end of the file`);
    out.push({ name, method, compressedSize, uncompressedSize, dataStart });
  }
  return out;
}

/** Inflates one entry, refusing output beyond its declared size (a lying header is a bomb, not a feed). */
function inflateEntry(zip: Uint8Array, e: ZipEntry): Uint8Array {
  const data = zip.subarray(e.dataStart, e.dataStart + e.compressedSize);
  if (e.method === 0) {
    if (e.compressedSize !== e.uncompressedSize) throw badZip(`entry ${e.name} has inconsistent sizes`);
    return data.slice();
  }
  if (e.method !== 8) throw badZip(`entry ${e.name} uses an unsupported compression method (${e.method})`);
  const out = new Uint8Array(e.uncompressedSize);
  let written = 0;
  const inflate = new Inflate((chunk) => {
    if (written + chunk.length > out.length)
      throw badZip(`entry ${e.name} inflates past its declared size of ${e.uncompressedSize} bytes`);
    out.set(chunk, written);
    written += chunk.length;
  });
  // Small input slices keep each inflated piece small (deflate expands at most ~1,032 times).
  const SLICE = 4096;
  for (let at = 0; at < data.length; at += SLICE)
    inflate.push(data.subarray(at, Math.min(at + SLICE, data.length)), at + SLICE >= data.length);
  if (data.length === 0) inflate.push(new Uint8Array(0), true);
  if (written !== out.length) throw badZip(`entry ${e.name} is shorter than its declared size`);
  return out;
}
