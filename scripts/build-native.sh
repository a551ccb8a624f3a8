#!/usr/bin/env bash
# npm run build:native: builds the native backend from source into
# build/Release/wasm_session.node (cargo staticlib + node-gyp, see binding.gyp).
#
#   scripts/build-native.sh              # build/Release/wasm_session.node
#   scripts/build-native.sh --prebuild   # also copy it to prebuilds/linux-x64/node.napi.glibc.node
#                                        # (what `npm pack` ships; run by prepack)
#
# Needs cargo, a C compiler and Node's headers: node-gyp uses npm's
# `nodedir` (/usr on these machines, where /usr/include/node is) and
# would otherwise download headers. package.json has "gypfile": false, so
# npm never runs node-gyp by itself (npm ci needs no compiler).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$REPO"
PREBUILD=0
[ "${1:-}" = "--prebuild" ] && PREBUILD=1
# NODEDIR=/usr (CI) forces the headers' location; else npm's nodedir, else
# /usr when Debian's nodejs headers are there.
NODEDIR_ARGS=()
if [ -n "${NODEDIR:-}" ]; then NODEDIR_ARGS=(--nodedir="$NODEDIR")
elif [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node_api.h ]; then NODEDIR_ARGS=(--nodedir=/usr); fi
GYP="$REPO/node_modules/.bin/node-gyp"
[ -x "$GYP" ] || GYP="$(command -v node-gyp || true)"
[ -n "$GYP" ] || { echo "build-native.sh: error: node-gyp not found (npm install, or npm install -g node-gyp)" >&2; exit 1; }
"$GYP" rebuild --silent ${NODEDIR_ARGS[@]+"${NODEDIR_ARGS[@]}"}
OUT="$REPO/build/Release/wasm_session.node"
[ -f "$OUT" ] || { echo "build-native.sh: error: node-gyp did not produce $OUT" >&2; exit 1; }
echo "build-native.sh: wrote $OUT ($(wc -c < "$OUT") bytes)" >&2
if [ "$PREBUILD" = 1 ]; then
  case "$(node -p 'process.platform + "-" + process.arch')" in
    linux-x64) ;;
    *) echo "build-native.sh: error: prebuilds are made for linux-x64 only" >&2; exit 1 ;;
  esac
  mkdir -p prebuilds/linux-x64
  cp "$OUT" prebuilds/linux-x64/node.napi.glibc.node
  echo "build-native.sh: wrote prebuilds/linux-x64/node.napi.glibc.node" >&2
fi
