// Writes the web pages' assets to dist/pages/ (git-ignored) with a manifest.json naming each entry's built file.
// The server builds the same assets in memory on start; this is for inspection, for hosting them elsewhere, and
// for running where esbuild is not installed. Usage: npx tsx scripts/build-pages.ts [--outdir DIR] [--no-minify]
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildPageAssets, pagesDistDir } from '../src/runtime/node/pages';

const args = process.argv.slice(2);
const at = args.indexOf('--outdir');
const outdir = at >= 0 && args[at + 1] ? args[at + 1]! : pagesDistDir;
const assets = await buildPageAssets({ minify: !args.includes('--no-minify') });
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
let bytes = 0;
for (const [name, file] of assets.files) {
  writeFileSync(join(outdir, name), file.body);
  bytes += file.body.byteLength;
}
writeFileSync(join(outdir, 'manifest.json'), JSON.stringify(assets.entries, null, 2) + '\n');
console.log(`${assets.files.size} files, ${(bytes / 1024).toFixed(1)} KiB → ${outdir}`);
for (const [entry, file] of Object.entries(assets.entries))
  console.log(`  ${entry.padEnd(14)} ${file}  ${(assets.files.get(file)!.body.byteLength / 1024).toFixed(1)} KiB`);
