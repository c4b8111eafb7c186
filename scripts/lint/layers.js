// ESLint rule `layers/boundaries`: the dependency direction of DESIGN.md, checked on every import.
//   src/core     imports nothing outside src/core (no Node built-ins, no database, server or socket library)
//   src/ingest   imports src/ingest, and src/core for types only (pure decoders: no Node built-ins either)
//   src/pages    (browser code) imports src/pages and src/core (pure, so it runs in a browser), the rest of src/ for types only
//   src/**       imports nothing from scripts/ or test/; only src/runtime imports src/runtime and src/pages
import { builtinModules } from 'node:module';
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const serverLibraries = [
  'postgres',
  'drizzle-orm',
  'drizzle-kit',
  '@electric-sql/pglite',
  'hono',
  '@hono/',
  'ws',
  'node-cron',
  'esbuild',
];

/** 'src/core', 'src/ingest', …, 'src' (files directly in src/), 'scripts', 'test', or null outside the tree. */
function areaOf(absolutePath) {
  const parts = relative(root, absolutePath).split(sep);
  if (parts[0] === '..' || parts.length < 2) return null;
  if (parts[0] === 'src') return parts.length > 2 ? `src/${parts[1]}` : 'src';
  return parts[0];
}

function isTypeOnly(node) {
  if (node.importKind === 'type' || node.exportKind === 'type') return true;
  const specifiers = node.specifiers ?? [];
  return specifiers.length > 0 && specifiers.every((s) => s.importKind === 'type' || s.exportKind === 'type');
}

function isServerOnlyPackage(spec) {
  return (
    builtins.has(spec) ||
    builtins.has(spec.split('/')[0]) ||
    serverLibraries.some((p) => spec === p || spec.startsWith(p.endsWith('/') ? p : `${p}/`))
  );
}

/** The reason an import breaks the layering, or null. */
export function violation(fromFile, spec, typeOnly) {
  const from = areaOf(fromFile);
  if (!from || !from.startsWith('src')) return null;
  const pure = from === 'src/core' || from === 'src/ingest' || from === 'src/pages';
  if (!spec.startsWith('.')) {
    if (pure && !typeOnly && isServerOnlyPackage(spec)) return `${from} is pure: it may not import '${spec}'`;
    return null;
  }
  const to = areaOf(resolve(dirname(fromFile), spec));
  if (to === from) return null;
  if (to === 'scripts' || to === 'test') return `src/ may not import from ${to}/`;
  if (from === 'src/core') return `src/core imports nothing outside itself (found ${to})`;
  if (from === 'src/ingest') {
    if (to === 'src/core' && typeOnly) return null;
    return to === 'src/core'
      ? 'src/ingest may import src/core types only (use `import type`)'
      : `src/ingest may import only src/core types (found ${to})`;
  }
  if (from === 'src/pages')
    return typeOnly || to === 'src/core'
      ? null
      : `src/pages (browser code) may import src/core, and the rest of src/ for types only (found ${to})`;
  if (to === 'src/runtime' && from !== 'src/runtime')
    return 'only src/runtime knows the runtime: import it from nowhere else';
  if (to === 'src/pages' && from !== 'src/runtime' && !typeOnly) return 'only src/runtime serves the pages';
  return null;
}

const boundaries = {
  meta: { type: 'problem', docs: { description: 'import boundaries between the layers of src/' }, schema: [] },
  create(context) {
    const check = (node, source, typeOnly) => {
      if (!source || typeof source.value !== 'string') return;
      const reason = violation(context.filename, source.value, typeOnly);
      if (reason) context.report({ node: source, message: reason });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source, isTypeOnly(node)),
      ExportNamedDeclaration: (node) => check(node, node.source, isTypeOnly(node)),
      ExportAllDeclaration: (node) => check(node, node.source, node.exportKind === 'type'),
      ImportExpression: (node) => check(node, node.source.type === 'Literal' ? node.source : null, false),
    };
  },
};

export default { meta: { name: 'busguard-layers' }, rules: { boundaries } };
