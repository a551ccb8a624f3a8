#!/usr/bin/env bash
# npm run build:native: builds the native backend from source into
# build/Release/wasm_session.node (cargo staticlib + node-gyp, see binding.gyp).
#
#   scripts/build-native.sh                        # build/Release/wasm_session.node (host)
#   scripts/build-native.sh --prebuild             # also copy it to prebuilds/linux-x64/node.napi.glibc.node
#   scripts/build-native.sh --prebuild --arch arm64
#       # cross-compile prebuilds/linux-arm64/node.napi.glibc.node on x64;
#       # build/ (the host build) is left as it was
#   scripts/build-native.sh --prebuilds            # both prebuilds (prepack: what `npm pack` ships)
#
# Needs cargo, a C compiler and Node's headers: those of the Node running
# this (official binaries have include/node), or npm's `nodedir`, or /usr;
# node-gyp would otherwise download them. Any Node's headers do: the addon uses
# Node-API only (ABI-stable), so one build serves Node 22, 24 and 26.
# package.json has "gypfile": false, so npm never runs node-gyp by itself
# (npm ci needs no compiler).
#
# arm64 cross build: apt-get install -y gcc-aarch64-linux-gnu g++-aarch64-linux-gnu,
# and libstd-rust-dev:arm64 (after dpkg --add-architecture arm64 && apt-get update);
# headers from the official arm64 Node (scripts/fetch-node.sh 24 arm64) unless NODEDIR is set.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$REPO"
die() { echo "build-native.sh: error: $*" >&2; exit 1; }
PREBUILD=0
ARCH=host
while [ $# -gt 0 ]; do
  case "$1" in
    --prebuild) PREBUILD=1 ;;
    --prebuilds) exec bash -c "'$0' --prebuild --arch arm64 && '$0' --prebuild" ;;
    --arch) ARCH="$2"; shift ;;
    *) die "unknown argument: $1" ;;
  esac
  shift
done
GYP="$REPO/node_modules/.bin/node-gyp"
[ -x "$GYP" ] || GYP="$(command -v node-gyp || true)"
[ -n "$GYP" ] || die "node-gyp not found (npm install, or npm install -g node-gyp)"

if [ "$ARCH" = arm64 ]; then
  [ "$PREBUILD" = 1 ] || die "--arch arm64 makes the prebuild only: pass --prebuild"
  [ "$(uname -m)" = x86_64 ] || die "the arm64 cross build runs on x86-64 hosts"
  for t in aarch64-linux-gnu-gcc aarch64-linux-gnu-g++; do
    command -v "$t" >/dev/null || die "$t not found: apt-get install -y gcc-aarch64-linux-gnu g++-aarch64-linux-gnu"
  done
  NODEDIR="${NODEDIR:-$(bash "$REPO/scripts/fetch-node.sh" 24 arm64)}"
  # node-gyp writes build/: keep the host build aside and put it back after.
  SAVED=""
  if [ -d build ]; then SAVED="$(mktemp -d "$REPO/.build-host-XXXXXX")"; mv build "$SAVED/build"; fi
  restore() { rm -rf "$REPO/build"; if [ -n "$SAVED" ]; then mv "$SAVED/build" "$REPO/build"; rmdir "$SAVED"; fi; }
  trap restore EXIT
  env CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ LINK=aarch64-linux-gnu-g++ AR=aarch64-linux-gnu-ar \
    WASM_SESSION_RUST_TARGET=aarch64-unknown-linux-gnu \
    "$GYP" rebuild --silent --arch=arm64 --nodedir="$NODEDIR"
  OUT="$REPO/build/Release/wasm_session.node"
  [ -f "$OUT" ] || die "node-gyp did not produce $OUT"
  # e_machine (bytes 18-19, little endian) must be EM_AARCH64 = 183 (0xb7).
  [ "$(od -An -tu2 -j18 -N2 "$OUT" | tr -d ' ')" = 183 ] || die "$OUT is not an aarch64 ELF"
  mkdir -p prebuilds/linux-arm64
  cp "$OUT" prebuilds/linux-arm64/node.napi.glibc.node
  echo "build-native.sh: wrote prebuilds/linux-arm64/node.napi.glibc.node ($(wc -c < "$OUT") bytes)" >&2
  exit 0
fi
[ "$ARCH" = host ] || [ "$ARCH" = x64 ] || die "--arch must be x64 (the host) or arm64"

# NODEDIR forces the headers' location; else npm's nodedir; else the running
# Node's own (official binaries carry include/node); else /usr (Debian's nodejs).
NODEDIR_ARGS=()
NODE_PREFIX="$(cd "$(dirname "$(readlink -f "$(command -v node)")")/.." && pwd)"
if [ -n "${NODEDIR:-}" ]; then NODEDIR_ARGS=(--nodedir="$NODEDIR")
elif [ -n "${npm_config_nodedir:-}" ]; then :
elif [ -f "$NODE_PREFIX/include/node/node_api.h" ]; then NODEDIR_ARGS=(--nodedir="$NODE_PREFIX")
elif [ -f /usr/include/node/node_api.h ]; then NODEDIR_ARGS=(--nodedir=/usr); fi
"$GYP" rebuild --silent ${NODEDIR_ARGS[@]+"${NODEDIR_ARGS[@]}"}
OUT="$REPO/build/Release/wasm_session.node"
[ -f "$OUT" ] || die "node-gyp did not produce $OUT"
echo "build-native.sh: wrote $OUT ($(wc -c < "$OUT") bytes)" >&2
if [ "$PREBUILD" = 1 ]; then
  case "$(node -p 'process.platform + "-" + process.arch')" in
    linux-x64) ;;
    *) die "prebuilds are made for linux-x64 and (cross) linux-arm64 only" ;;
  esac
  mkdir -p prebuilds/linux-x64
  cp "$OUT" prebuilds/linux-x64/node.napi.glibc.node
  echo "build-native.sh: wrote prebuilds/linux-x64/node.napi.glibc.node" >&2
fi
