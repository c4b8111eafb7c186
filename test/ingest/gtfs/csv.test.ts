import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseCsv } from '../../../src/ingest/gtfs';
import { RouteImportError } from '../../../src/ingest/route-import';

function errorOf(fn: () => unknown): RouteImportError {
  try {
    fn();
  } catch (err) {
    if (err instanceof RouteImportError) return err;
    throw err;
  }
  throw new Error('expected a RouteImportError');
}

describe('parseCsv', () => {
  it('reads quoted fields, escaped quotes and line breaks inside quotes', () => {
    expect(parseCsv('a,b,c\n"x, y","say ""hi""","two\r\nlines"\n')).toEqual([
      { a: 'x, y', b: 'say "hi"', c: 'two\r\nlines' },
    ]);
  });

  it('accepts CRLF, LF and CR line ends, a BOM, and trailing blank lines', () => {
    expect(parseCsv('\uFEFFid,name\r\n1,one\n2,two\r3,three\r\n\r\n\n')).toEqual([
      { id: '1', name: 'one' },
      { id: '2', name: 'two' },
      { id: '3', name: 'three' },
    ]);
  });

  it('strips a byte-order mark before a quoted first header', () => {
    expect(parseCsv('\uFEFF"stop_id",stop_name\n1,Gate\n')).toEqual([{ stop_id: '1', stop_name: 'Gate' }]);
  });

  it('keys by header names whatever their order, trimming header whitespace', () => {
    expect(parseCsv(' lon , lat\n145.1,-16.9\n')).toEqual([{ lon: '145.1', lat: '-16.9' }]);
  });

  it('fills missing trailing fields with empty text and ignores extra fields', () => {
    expect(parseCsv('a,b,c\n1\n1,2,3,4\n')).toEqual([
      { a: '1', b: '', c: '' },
      { a: '1', b: '2', c: '3' },
    ]);
  });

  it('keeps empty and whitespace values as they are', () => {
    expect(parseCsv('a,b\n, x \n""," "\n')).toEqual([
      { a: '', b: ' x ' },
      { a: '', b: ' ' },
    ]);
  });

  it('returns no rows for empty or header-only text', () => {
    expect(parseCsv('')).toEqual([]);
    expect(parseCsv('shape_id,shape_pt_lat\n')).toEqual([]);
    expect(parseCsv('\uFEFF')).toEqual([]);
  });

  it('keeps a header named like an Object property as a plain key', () => {
    const rows = parseCsv('__proto__,constructor\n1,2\n');
    expect(Object.getPrototypeOf(rows[0])).toBe(Object.prototype);
    expect(Object.hasOwn(rows[0]!, '__proto__')).toBe(true);
    expect(rows[0]!.constructor).toBe('2');
  });

  it('rejects an unclosed quote with gtfs_bad_csv and the line it starts on', () => {
    const e = errorOf(() => parseCsv('a,b\n1,2\n3,"open\nstill open\n'));
    expect(e.code).toBe('gtfs_bad_csv');
    expect(e.details).toEqual({ line: 3 });
  });

  it('rejects text after a closing quote', () => {
    const e = errorOf(() => parseCsv('a,b\n"x"y,2\n'));
    expect(e.code).toBe('gtfs_bad_csv');
    expect(e.details).toEqual({ line: 2 });
  });
});

/** RFC 4180 writer used to check the reader: quotes when needed (and empty values, so a row is never blank). */
function writeCsv(header: string[], rows: string[][], lineEnd: string): string {
  const cell = (v: string) => (v === '' || /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return [header, ...rows].map((r) => r.map(cell).join(',')).join(lineEnd) + lineEnd;
}

describe('parseCsv properties', () => {
  const headerName = fc
    .string({ minLength: 1, maxLength: 8, unit: 'grapheme' })
    .filter((s) => s.trim() === s && s !== '' && !s.startsWith('\uFEFF'));
  const value = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.string({ maxLength: 12, unit: fc.constantFrom('a', ',', '"', '\n', '\r', ' ', 'é', '😀') }),
  );
  const table = fc.uniqueArray(headerName, { minLength: 1, maxLength: 6 }).chain((header) =>
    fc.record({
      header: fc.constant(header),
      rows: fc.array(fc.array(value, { minLength: header.length, maxLength: header.length }), { maxLength: 8 }),
      lineEnd: fc.constantFrom('\n', '\r\n'),
      bom: fc.boolean(),
    }),
  );

  it('round-trips rows it did not write itself', () => {
    fc.assert(
      fc.property(table, ({ header, rows, lineEnd, bom }) => {
        const text = (bom ? '\uFEFF' : '') + writeCsv(header, rows, lineEnd);
        const expected = rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
        expect(parseCsv(text)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('throws nothing but RouteImportError on arbitrary text', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 80, unit: fc.constantFrom('a', ',', '"', '\n', '\r', ' ', '\uFEFF', '1') }),
        (text) => {
          try {
            const rows = parseCsv(text);
            expect(Array.isArray(rows)).toBe(true);
          } catch (err) {
            expect(err).toBeInstanceOf(RouteImportError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
