#!/usr/bin/env bash
# Official Node.js binaries for CI, from the npm registry (the node-linux-*
# packages carry nodejs.org's build: bin/node and include/node), unpacked
# once into a cache directory and reused:
#
#   scripts/fetch-node.sh 24          # -> prints $CACHE/linux-x64-24 (bin/node, include/node)
#   scripts/fetch-node.sh 24 arm64    # -> $CACHE/linux-arm64-24 (run under qemu-aarch64)
#
# CACHE is $WASM_SESSION_NODE_CACHE, else ~/.cache/wasm-session/node.
# Needs any npm on PATH (only to `npm pack`; Debian's npm on Node 20 will do).
# The packages have no npm of their own: npm stays the one on PATH.
set -euo pipefail
MAJOR="${1:?usage: fetch-node.sh MAJOR [x64|arm64]}"
ARCH="${2:-x64}"
case "$ARCH" in x64|arm64) ;; *) echo "fetch-node.sh: arch must be x64 or arm64" >&2; exit 2 ;; esac
CACHE="${WASM_SESSION_NODE_CACHE:-$HOME/.cache/wasm-session/node}"
DIR="$CACHE/linux-$ARCH-$MAJOR"
if [ ! -x "$DIR/bin/node" ] || [ ! -f "$DIR/include/node/node_api.h" ]; then
  command -v npm >/dev/null || { echo "fetch-node.sh: error: npm not found (apt-get install -y npm, or any Node.js with npm)" >&2; exit 1; }
  mkdir -p "$CACHE"
  TMP="$(mktemp -d "$CACHE/.fetch-XXXXXX")"
  trap 'rm -rf "$TMP"' EXIT
  echo "fetch-node.sh: npm pack node-linux-$ARCH@$MAJOR" >&2
  # --pack-destination: run from this package's prepack (npm pack), npm passes the
  # outer pack's destination down as npm_config_pack_destination, and the tarball
  # would land there instead. npm's output is kept for the error message.
  (cd "$TMP" && npm pack --pack-destination "$TMP" "node-linux-$ARCH@$MAJOR" >"$TMP/pack.log" 2>&1) \
    || { tail -n 5 "$TMP/pack.log" >&2; echo "fetch-node.sh: error: npm pack node-linux-$ARCH@$MAJOR failed" >&2; exit 1; }
  tgz="$(ls "$TMP"/node-linux-"$ARCH"-*.tgz 2>/dev/null | head -n 1 || true)"
  [ -n "$tgz" ] || { tail -n 5 "$TMP/pack.log" >&2; echo "fetch-node.sh: error: npm pack node-linux-$ARCH@$MAJOR wrote no tarball in $TMP" >&2; exit 1; }
  (cd "$TMP" && tar -xzf "$tgz")
  [ -x "$TMP/package/bin/node" ] || { echo "fetch-node.sh: error: node-linux-$ARCH@$MAJOR has no bin/node" >&2; exit 1; }
  rm -rf "$DIR"
  mv "$TMP/package" "$DIR"   # atomic: a half-unpacked dir is never seen as cached
fi
echo "$DIR"
