// PostgreSQL's text form of an array (`{a,"b c",NULL,{1,2}}`) read into a JS array, for the postgres driver: it
// otherwise learns array types by a catalogue query on every new connection (see postgres-db.ts for why not).

/** Parses an array literal; `element` turns each non-null element's text into its value. */
export function parsePgArray<T>(text: string, element: (s: string) => T): unknown[] {
  let i = 0;
  const parse = (): unknown[] => {
    const out: unknown[] = [];
    i++; // '{'
    if (text[i] === '}') {
      i++;
      return out;
    }
    for (;;) {
      if (text[i] === '{') out.push(parse());
      else if (text[i] === '"') {
        let s = '';
        for (i++; i < text.length && text[i] !== '"'; i++) s += text[i] === '\\' ? text[++i] : text[i];
        i++; // closing quote
        out.push(element(s));
      } else {
        const start = i;
        while (i < text.length && text[i] !== ',' && text[i] !== '}') i++;
        const s = text.slice(start, i);
        out.push(s === 'NULL' ? null : element(s));
      }
      if (text[i] === ',') i++;
      else {
        i++; // '}'
        return out;
      }
    }
  };
  // A dimension prefix (`[0:1]={…}`) appears only for arrays not starting at 1.
  const eq = text[0] === '[' ? text.indexOf('=') : -1;
  if (eq >= 0) i = eq + 1;
  return text[i] === '{' ? parse() : [];
}

const asNumber = (s: string) => Number(s);
const asText = (s: string) => s;
const asBoolean = (s: string) => s === 't';

/** The driver's custom types for the array types a query may return (type oids from pg_type). */
export const pgArrayTypes = {
  textArray: { oids: [1009, 1015, 1014, 1182, 1231, 1185, 1115, 2951], element: asText },
  numberArray: { oids: [1005, 1007, 1016, 1021, 1022], element: asNumber },
  booleanArray: { oids: [1000], element: asBoolean },
  jsonArray: { oids: [199, 3807], element: (s: string) => JSON.parse(s) as unknown },
} as const;
