#!/usr/bin/env bash
# `npm run e2e:workers`: busguard on Cloudflare Workers, locally — `wrangler dev` (workerd, local mode, loopback only,
# no login, no network) against the real PostgreSQL server (TEST_DATABASE_URL, default the local `test` database),
# driven by test/workers/*.test.ts (vitest.workers.config.ts). Each test file starts and stops its own wrangler.
# Ends with the totals line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
out=test-artifacts/workers
rm -rf "$out" && mkdir -p "$out"
# No account, no telemetry: whatever the calling shell has for Cloudflare is not passed on.
for v in $(env | sed -n 's/^\(CLOUDFLARE_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
export WRANGLER_SEND_METRICS=false
# The pages' static assets (wrangler.toml [assets]) from the current sources.
npx tsx scripts/build-worker-assets.ts || exit 1
npx vitest run -c vitest.workers.config.ts --reporter=default --reporter=json --outputFile.json="$out/workers.json" "$@"
echo $? > "$out/workers.exit"
EXPECTED_REPORTS=workers.json node scripts/test-totals.mjs "$out"
