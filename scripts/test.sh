#!/usr/bin/env bash
# The whole test suite: type-check, every test on embedded PGlite, then every database test again on the real
# PostgreSQL server when TEST_DATABASE_URL is set. Ends with the totals line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
out=test-artifacts
rm -rf "$out" && mkdir -p "$out"

echo "== type-check (tsc --noEmit: server, scripts and tests; browser pages)"
if npx tsc --noEmit -p . && npx tsc --noEmit -p src/pages; then echo '{"numPassedTests":1,"numFailedTests":0}' > "$out/typecheck.json"
else echo '{"numPassedTests":0,"numFailedTests":1}' > "$out/typecheck.json"; fi

echo "== vitest on PGlite"
TEST_DB_KIND=pglite npx vitest run --reporter=default --reporter=json --outputFile.json="$out/pglite.json" "$@"

if [ -n "${TEST_DATABASE_URL:-}" ]; then
  # The files that touch the database (they use the shared test database helpers).
  mapfile -t dbfiles < <(grep -rlE "helpers/(db|app|world)" test --include='*.test.ts' | sort)
  if [ "${#dbfiles[@]}" -gt 0 ] && [ "$#" -eq 0 ]; then
    echo "== vitest on PostgreSQL (${TEST_DATABASE_URL%%@*}@…): ${#dbfiles[@]} files"
    TEST_DB_KIND=postgres npx vitest run --reporter=default --reporter=json --outputFile.json="$out/postgres.json" "${dbfiles[@]}"
  fi
else
  echo "== TEST_DATABASE_URL not set: the real-PostgreSQL pass is skipped"
fi

node scripts/test-totals.mjs "$out"
