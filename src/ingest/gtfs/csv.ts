// RFC 4180 CSV reader for GTFS text files. Pure.
// Accepts quoted fields (with "" escapes and embedded line breaks), CRLF / LF / CR line ends,
// a leading UTF-8 byte-order mark, blank lines (skipped) and rows shorter than the header
// (missing trailing fields read as ''). Fields beyond the header are ignored.

import { RouteImportError } from '../route-import';

const COMMA = 44;
const LF = 10;
const CR = 13;
const QUOTE = 34;

function countLineBreaks(value: string): number {
  if (value.indexOf('\n') < 0 && value.indexOf('\r') < 0) return 0;
  return value.match(/\r\n|\r|\n/g)?.length ?? 0;
}

/** Splits CSV text into records of raw fields. Blank lines are dropped. */
export function parseCsvRecords(text: string): string[][] {
  if (typeof text !== 'string') {
    throw new RouteImportError('CSV input must be text', 'gtfs_bad_csv');
  }
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  const records: string[][] = [];
  let record: string[] = [];
  let blank = true; // the record so far is a single unquoted empty field

  for (;;) {
    let value: string;
    if (i < n && text.charCodeAt(i) === QUOTE) {
      const startLine = line;
      i++;
      value = '';
      for (;;) {
        const j = text.indexOf('"', i);
        if (j < 0) {
          throw new RouteImportError(`CSV line ${startLine}: a quoted field is never closed`, 'gtfs_bad_csv', {
            line: startLine,
          });
        }
        if (text.charCodeAt(j + 1) === QUOTE) {
          value += text.slice(i, j + 1);
          i = j + 2;
        } else {
          value += text.slice(i, j);
          i = j + 1;
          break;
        }
      }
      line += countLineBreaks(value);
      blank = false;
      if (i < n) {
        const c = text.charCodeAt(i);
        if (c !== COMMA && c !== LF && c !== CR) {
          throw new RouteImportError(`CSV line ${line}: unexpected text after a closing quote`, 'gtfs_bad_csv', {
            line,
          });
        }
      }
    } else {
      let j = i;
      while (j < n) {
        const c = text.charCodeAt(j);
        if (c === COMMA || c === LF || c === CR) break;
        j++;
      }
      value = text.slice(i, j);
      if (value !== '') blank = false;
      i = j;
    }
    record.push(value);

    if (i >= n) {
      if (!(blank && record.length === 1)) records.push(record);
      break;
    }
    const c = text.charCodeAt(i);
    if (c === COMMA) {
      blank = false;
      i++;
      continue;
    }
    i += c === CR && text.charCodeAt(i + 1) === LF ? 2 : 1;
    line++;
    if (!(blank && record.length === 1)) records.push(record);
    record = [];
    blank = true;
    if (i >= n) break;
  }
  return records;
}

/**
 * Parses CSV text with a header line into one object per data row, keyed by the (trimmed) header names.
 * Throws RouteImportError code 'gtfs_bad_csv' for an unclosed quote or text after a closing quote.
 */
export function parseCsv(text: string): Record<string, string>[] {
  const records = parseCsvRecords(text);
  if (records.length === 0) return [];
  const header = records[0]!.map((h) => h.trim());
  const columns: [string, number][] = [];
  header.forEach((name, index) => {
    if (name !== '') columns.push([name, index]);
  });
  const rows: Record<string, string>[] = new Array(records.length - 1);
  for (let r = 1; r < records.length; r++) {
    const rec = records[r]!;
    // Object.fromEntries defines own properties, so a header such as "__proto__" stays a plain key.
    rows[r - 1] = Object.fromEntries(columns.map(([name, index]) => [name, rec[index] ?? '']));
  }
  return rows;
}
