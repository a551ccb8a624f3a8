#!/usr/bin/env bash
# Rebuilds the .wasm from source in a temporary target dir and compares it
# byte for byte with the committed wasm/wasm_session_core.wasm. Exits 1 if
# they differ (the committed artifact is stale or the build is not
# reproducible). Needs the same toolchain as scripts/build-wasm.sh.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
COMMITTED="$REPO/wasm/wasm_session_core.wasm"
[ -f "$COMMITTED" ] || { echo "check-wasm.sh: $COMMITTED is missing" >&2; exit 1; }

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
bash "$REPO/scripts/build-wasm.sh" --target-dir "$TMP/target" --out "$TMP/rebuilt.wasm"

if cmp -s "$COMMITTED" "$TMP/rebuilt.wasm"; then
  echo "check-wasm.sh: OK, wasm/wasm_session_core.wasm matches a fresh build ($(sha256sum "$COMMITTED" | cut -d' ' -f1))"
  # Known answers for the module itself, against node:crypto.
  if command -v node >/dev/null 2>&1; then
    node "$REPO/crate/js/wasm-smoke.mjs" "$COMMITTED"
  else
    echo "check-wasm.sh: node not found, skipped crate/js/wasm-smoke.mjs" >&2
  fi
else
  echo "check-wasm.sh: MISMATCH: wasm/wasm_session_core.wasm differs from a fresh build of crate/." >&2
  echo "  committed: $(wc -c < "$COMMITTED") bytes, sha256 $(sha256sum "$COMMITTED" | cut -d' ' -f1)" >&2
  echo "  rebuilt:   $(wc -c < "$TMP/rebuilt.wasm") bytes, sha256 $(sha256sum "$TMP/rebuilt.wasm" | cut -d' ' -f1)" >&2
  echo "  Run 'npm run build:wasm' and commit wasm/wasm_session_core.wasm (toolchain: Debian rustc 1.63 / cargo 1.65)." >&2
  exit 1
fi
