#!/usr/bin/env bash
# The whole test suite: type-check, lint and format check, every vitest project on embedded PGlite, then the
# projects that touch the database (`db` and `e2e`, vitest.config.ts) again on the real PostgreSQL server when
# TEST_DATABASE_URL is set. Ends with the totals line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
out=test-artifacts
rm -rf "$out" && mkdir -p "$out"

# One pass/fail entry for a check that is not a vitest run.
check() {
  local name=$1; shift
  echo "== $name"
  if "$@"; then echo '{"numPassedTests":1,"numFailedTests":0}' > "$out/$name.json"
  else echo '{"numPassedTests":0,"numFailedTests":1}' > "$out/$name.json"; fi
}

check typecheck npm run -s typecheck
check lint npm run -s lint

echo "== vitest on PGlite: projects unit, db, e2e"
TEST_DB_KIND=pglite npx vitest run --reporter=default --reporter=json --outputFile.json="$out/pglite.json" "$@"
# The exit code too: it says what the JSON report does not (unhandled errors); scripts/test-totals.mjs reads it.
echo $? > "$out/pglite.exit"

if [ -n "${TEST_DATABASE_URL:-}" ] && [ "$#" -eq 0 ]; then
  echo "== vitest on PostgreSQL (${TEST_DATABASE_URL%%@*}@…): projects db, e2e"
  export EXPECT_POSTGRES_REPORT=1
  TEST_DB_KIND=postgres npx vitest run --project db --project e2e --reporter=default --reporter=json \
    --outputFile.json="$out/postgres.json"
  echo $? > "$out/postgres.exit"
  # The Workers runtime under `wrangler dev` (workerd, local mode, loopback only) needs the real PostgreSQL, since
  # Hyperdrive has no embedded-database mode (npm run e2e:workers; its report joins the totals).
  echo "== Workers runtime: npm run e2e:workers"
  export EXPECT_WORKERS_REPORT=1
  bash scripts/e2e-workers.sh
  cp test-artifacts/workers/workers.json test-artifacts/workers/workers.exit "$out/" 2>/dev/null || true
elif [ -z "${TEST_DATABASE_URL:-}" ]; then
  echo "== TEST_DATABASE_URL not set: the real-PostgreSQL pass and the Workers runtime tests are skipped"
fi

node scripts/test-totals.mjs "$out"
