#!/usr/bin/env bash
# The Redis suites on every client × engine users run: clients ioredis (5),
# ioredis6, iovalkey, node-redis (6), node-redis5; engines redis (Debian's
# 7.0) and valkey (9.1, WS_VALKEY_SERVER from scripts/fetch-valkey.sh).
# `npm test` already runs ioredis × redis; this runs the rest (or the pairs
# given as CLIENT:ENGINE arguments) and prints one pass-count line per pair.
#
#   bash scripts/test-redis-matrix.sh                 # every pair but ioredis:redis
#   bash scripts/test-redis-matrix.sh node-redis:valkey
set -euo pipefail
cd "$(dirname "$0")/.."
SUITES=(
  test/providers/redis.test.ts test/providers/redis-cache.test.ts test/providers/redis-cluster.test.ts
  test/providers/redis-faults.test.ts test/providers/redis-manager.test.ts test/providers/concurrency.test.ts
  test/providers/session-e2e.test.ts test/providers/deep-records.test.ts test/providers/redis-durable.test.ts
  test/users/redis.test.ts test/users/redis-cluster.test.ts test/users/manage-redis.test.ts test/users/manage-redis-cluster.test.ts
  test/dbsc/redis.test.ts
)
pairs=("$@")
if [ ${#pairs[@]} -eq 0 ]; then
  for engine in redis valkey; do
    for client in ioredis ioredis6 iovalkey node-redis node-redis5; do
      [ "$client:$engine" = ioredis:redis ] || pairs+=("$client:$engine")
    done
  done
fi
if printf '%s\n' "${pairs[@]}" | grep -q ':valkey$' && [ -z "${WS_VALKEY_SERVER:-}" ]; then
  WS_VALKEY_SERVER="$(bash scripts/fetch-valkey.sh)"
  export WS_VALKEY_SERVER
fi
log="$(mktemp -d)"
status=0
summary=()
for pair in "${pairs[@]}"; do
  client="${pair%%:*}" engine="${pair##*:}"
  echo "== redis matrix: client $client, engine $engine"
  # NO_COLOR: plain lines to read the counts from (CI's vitest colours them otherwise).
  if NO_COLOR=1 FORCE_COLOR=0 WS_REDIS_CLIENT="$client" WS_REDIS_ENGINE="$engine" npx vitest run "${SUITES[@]}" >"$log/$client-$engine.txt" 2>&1; then r=ok; else r=FAILED; status=1; fi
  counts="$(sed 's/\x1b\[[0-9;]*m//g' "$log/$client-$engine.txt" | grep -E '^ +Tests ' | tail -1 | sed 's/^ *Tests *//' || true)"
  summary+=("$(printf '%-12s %-7s %-7s %s' "$client" "$engine" "$r" "${counts:-no test count (see below)}")")
  if [ "$r" = FAILED ]; then
    { sed 's/\x1b\[[0-9;]*m//g' "$log/$client-$engine.txt" | grep -E '^ +(×|✗)|FAIL ' | head -40; } || true
    tail -60 "$log/$client-$engine.txt"
  fi
done
echo "== redis matrix: client, engine, result, tests"
printf '%s\n' "${summary[@]}"
exit $status
