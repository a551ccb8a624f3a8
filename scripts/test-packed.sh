#!/usr/bin/env bash
# The published-package path (npm run test:packed; CI): `npm pack` (prepack
# builds dist/ and the linux-x64 and linux-arm64 prebuilds), install the
# tarball into a fresh app with no compiler, cargo, make or python on PATH,
# and check there, on the Node under test, that
#   - the tarball carries prebuilds/linux-x64 and prebuilds/linux-arm64
#     (node.napi.glibc.node, the right ELF machine each), no build/, no
#     binding.gyp (npm would run `node-gyp rebuild` for it), no install script;
#   - `auto` picks native; the fixed vectors (test/vectors/v1.json) seal to the
#     exact tokens and open on every backend there (native, wasm, js, node);
#     native tokens open on every backend of this checkout and theirs open in
#     the app, both ways;
#   - a node:http app round-trips a session over real HTTP (new, restored,
#     tampered -> new) with backend native;
#   - as node-gyp-build sees musl (LIBC=musl, what it sets on Alpine: no
#     prebuild fits), auto picks wasm silently: nothing on stderr;
#   - with the prebuilds removed (a platform without one), auto falls back to
#     wasm and backend 'native' throws BackendUnavailableError.
#
#   scripts/test-packed.sh                       # node on PATH (x64)
#   scripts/test-packed.sh --save-tarball F      # ... and keep the tarball as F
#   scripts/test-packed.sh --tarball F           # test F instead of packing (CI: one pack, many Nodes)
#   scripts/test-packed.sh --qemu-arm64          # the app on the official arm64 Node 24 under
#                                                # qemu-aarch64 (apt-get install -y qemu-user
#                                                # libc6-arm64-cross libstdc++6-arm64-cross), also
#                                                # printing seal+open times per backend
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
die() { echo "test-packed.sh: FAIL: $*" >&2; exit 1; }
TARBALL="" SAVE="" ARM64=0
while [ $# -gt 0 ]; do
  case "$1" in
    --tarball) TARBALL="$(realpath "$2")"; shift ;;
    --save-tarball) SAVE="$2"; shift ;;
    --qemu-arm64) ARM64=1 ;;
    *) echo "test-packed.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

cd "$REPO"
if [ -z "$TARBALL" ]; then
  echo "test-packed.sh: npm pack (prepack: tsc + native prebuilds)" >&2
  npm pack --silent --pack-destination "$TMP" >/dev/null
  TARBALL="$(ls "$TMP"/wasm-session-*.tgz)"
  [ -z "$SAVE" ] || cp "$TARBALL" "$SAVE"
fi
LIST="$(tar -tzf "$TARBALL")"
for p in linux-x64 linux-arm64; do
  grep -qx "package/prebuilds/$p/node.napi.glibc.node" <<<"$LIST" || die "tarball lacks prebuilds/$p"
done
# ELF e_machine: 62 = x86-64, 183 = aarch64.
machine() { tar -xzOf "$TARBALL" "package/prebuilds/$1/node.napi.glibc.node" | od -An -tu2 -j18 -N2 | tr -d ' '; }
[ "$(machine linux-x64)" = 62 ] || die "prebuilds/linux-x64 is not an x86-64 binary"
[ "$(machine linux-arm64)" = 183 ] || die "prebuilds/linux-arm64 is not an aarch64 binary"
grep -q '^package/build/' <<<"$LIST" && die "tarball contains build/"
grep -qx 'package/binding.gyp' <<<"$LIST" && die "tarball contains binding.gyp (npm would compile on install)"
tar -xzOf "$TARBALL" package/package.json | node -e '
  const s = JSON.parse(require("fs").readFileSync(0, "utf8")).scripts || {};
  for (const k of ["preinstall", "install", "postinstall"]) if (s[k]) { console.error("install script: " + k); process.exit(1); }' \
  || die "the package has an install script"

# A PATH with node and npm only: no cc, gcc, make, python, cargo, node-gyp.
BIN="$TMP/bin"
mkdir -p "$BIN"
ln -s "$(command -v node)" "$BIN/node"
ln -s "$(readlink -f "$(command -v npm)")" "$BIN/npm"
for tool in cc gcc g++ make python3 cargo rustc node-gyp; do
  env -i PATH="$BIN" /bin/bash -c "command -v $tool" >/dev/null 2>&1 && die "$tool is on the stripped PATH"
done
# Kept from the environment: how this machine reaches the registry (its CA and
# proxy settings). Without them npm cannot fetch what its cache lacks.
NET=()
for v in NODE_EXTRA_CA_CERTS SSL_CERT_FILE SSL_CERT_DIR HTTPS_PROXY HTTP_PROXY NO_PROXY https_proxy http_proxy no_proxy npm_config_cafile npm_config_registry; do
  [ -z "${!v:-}" ] || NET+=("$v=${!v}")
done
run() { env -i HOME="$HOME" PATH="$BIN" npm_config_cache="$(npm config get cache)" ${NET[@]+"${NET[@]}"} "$@"; }

# The Node the app runs on.
if [ "$ARM64" = 1 ]; then
  QEMU="$(command -v qemu-aarch64)" || die "qemu-aarch64 not found: apt-get install -y qemu-user"
  [ -f /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ] || die "no aarch64 libc: apt-get install -y libc6-arm64-cross libstdc++6-arm64-cross"
  ARM_NODE="$(bash "$REPO/scripts/fetch-node.sh" 24 arm64)/bin/node"
  # LD_LIBRARY_PATH: the libc that goes with this ld.so. Where libc6:arm64 is
  # installed too (libstd-rust-dev:arm64 pulls it in), ld.so.cache would hand
  # the cross ld.so that libc instead, and Node hangs in pthread_create.
  APP_NODE=("$QEMU" -L /usr/aarch64-linux-gnu -E LD_LIBRARY_PATH=/usr/aarch64-linux-gnu/lib "$ARM_NODE")
  BENCH=bench
else
  APP_NODE=(node)
  BENCH=""
fi

APP="$TMP/app"
mkdir -p "$APP"
cd "$APP"
echo '{ "name": "fresh-app", "version": "1.0.0", "type": "module", "private": true }' > package.json
echo "test-packed.sh: npm install the tarball into a fresh app (no build tools on PATH)" >&2
run npm install --no-audit --no-fund --prefer-offline --loglevel=error "$TARBALL" >/dev/null
cp "$REPO"/test/runtimes/packed-check.mjs "$REPO"/test/runtimes/packed-server.mjs "$REPO"/test/vectors/v1.json .

SECRET='packed-package-test-secret-0123456789'
# Tokens from every backend of this checkout.
FROM_REPO="$(node --input-type=module -e "
  const { createCodec } = await import('$REPO/dist/crypto/index.js');
  const out = {};
  for (const b of ['native', 'wasm', 'js', 'node']) out[b] = createCodec({ secrets: '$SECRET', name: 'sid', backend: b }).seal('from ' + b, 1000);
  console.log(JSON.stringify(out));")"

APP_OUT="$(run "${APP_NODE[@]}" packed-check.mjs "$SECRET" "$FROM_REPO" v1.json $BENCH)"
echo "test-packed.sh: app says $APP_OUT" >&2
ON="$(node -p 'const r = JSON.parse(process.argv[1]); r.node + " linux-" + r.arch' "$APP_OUT")"
node --input-type=module -e "
  const { createCodec } = await import('$REPO/dist/crypto/index.js');
  const r = JSON.parse(process.argv[1]);
  const fail = (m) => { console.error('test-packed.sh: FAIL: ' + m); process.exit(1); };
  if (r.arch !== process.argv[2]) fail('the app ran on ' + r.arch);
  if (r.auto !== 'native' || r.backend !== 'native' || r.session !== 'native' || r.nativeError !== null) fail('auto did not pick native in the installed package');
  if (r.vectorFailures.length || r.vectors !== 4 * JSON.parse((await import('node:fs')).readFileSync('v1.json', 'utf8')).length) fail('vectors: ' + r.vectorFailures.join('; '));
  for (const b of ['native', 'wasm', 'js', 'node']) {
    if (r.opened[b] !== 'from ' + b) fail('the app did not open the ' + b + ' token');
    const o = createCodec({ secrets: '$SECRET', name: 'sid', backend: b }).openText(r.sealed, { now: 2000 });
    if (!o.ok || o.value !== 'from the app') fail(b + ' did not open the app token');
  }
  if (r.perOpMicros) console.error('test-packed.sh: seal+open of 100 bytes on ' + r.arch + ' (µs, best of 3x1000): ' + JSON.stringify(r.perOpMicros) + ', wasm/native = ' + (r.perOpMicros.wasm / r.perOpMicros.native).toFixed(2));
  " "$APP_OUT" "$([ "$ARM64" = 1 ] && echo arm64 || echo x64)"
echo "test-packed.sh: vectors byte-identical on native, wasm, js, node; tokens interoperate with this checkout both ways" >&2

# Real HTTP: the app's server on the Node under test, the client here.
node "$REPO/test/runtimes/packed-client.mjs" "$APP" "$SECRET" native -- env -i HOME="$HOME" PATH="$BIN" "${APP_NODE[@]}"

if [ "$ARM64" = 0 ]; then
  # As on Alpine: node-gyp-build takes the libc from LIBC (else /etc/alpine-release).
  MUSL_ERR="$TMP/musl.err"
  MUSL="$(run LIBC=musl "${APP_NODE[@]}" packed-check.mjs "$SECRET" "$FROM_REPO" v1.json 2>"$MUSL_ERR")"
  node -e '
    const r = JSON.parse(process.argv[1]);
    if (r.auto !== "wasm" || r.session !== "wasm" || r.nativeError !== "ERR_BACKEND_UNAVAILABLE" || r.vectorFailures.length) {
      console.error("test-packed.sh: FAIL: musl: " + process.argv[1]); process.exit(1);
    }' "$MUSL"
  [ ! -s "$MUSL_ERR" ] || die "musl: the app printed to stderr: $(cat "$MUSL_ERR")"
  echo "test-packed.sh: musl (as node-gyp-build sees Alpine): auto = wasm, no output on stderr" >&2
fi

# Without a binary for this platform: silent fallback for auto, a typed error for native.
rm -rf node_modules/wasm-session/prebuilds
FALLBACK="$(run "${APP_NODE[@]}" packed-check.mjs "$SECRET" "$FROM_REPO" v1.json)"
node -e '
  const r = JSON.parse(process.argv[1]);
  if (r.auto !== "wasm" || r.backend !== "wasm" || r.nativeError !== "ERR_BACKEND_UNAVAILABLE" || r.opened.native !== "from native" || r.vectorFailures.length) {
    console.error("test-packed.sh: FAIL: fallback without the prebuild: " + process.argv[1]); process.exit(1);
  }' "$FALLBACK"
echo "test-packed.sh: OK on Node $ON: packed package picks native without a compiler, vectors and interop on every backend, HTTP round trip,$([ "$ARM64" = 0 ] && echo ' musl -> wasm silently,') falls back to wasm without its prebuild" >&2
