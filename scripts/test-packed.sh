#!/usr/bin/env bash
# The published-package path (npm run test:packed; CI): `npm pack` (prepack
# builds dist/ and the linux-x64 prebuild), install the tarball into a fresh
# app with no compiler, cargo, make or python on PATH, and check there that
#   - the tarball carries prebuilds/linux-x64/node.napi.glibc.node, no build/,
#     no binding.gyp (npm would run `node-gyp rebuild` for it) and no install script;
#   - `auto` picks native, and native tokens open on every backend of this
#     checkout (native, wasm, js, node) and theirs open in the app, both ways;
#   - with the prebuild removed (a platform without one), auto falls back to
#     wasm and backend 'native' throws BackendUnavailableError.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
die() { echo "test-packed.sh: FAIL: $*" >&2; exit 1; }

cd "$REPO"
echo "test-packed.sh: npm pack (prepack: tsc + native prebuild)" >&2
npm pack --silent --pack-destination "$TMP" >/dev/null
TGZ="$(ls "$TMP"/wasm-session-*.tgz)"
LIST="$(tar -tzf "$TGZ")"
grep -qx 'package/prebuilds/linux-x64/node.napi.glibc.node' <<<"$LIST" || die "tarball lacks the prebuild"
grep -q '^package/build/' <<<"$LIST" && die "tarball contains build/"
grep -qx 'package/binding.gyp' <<<"$LIST" && die "tarball contains binding.gyp (npm would compile on install)"
tar -xzOf "$TGZ" package/package.json | node -e '
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
run() { env -i HOME="$HOME" PATH="$BIN" npm_config_cache="$(npm config get cache)" "$@"; }

APP="$TMP/app"
mkdir -p "$APP"
cd "$APP"
echo '{ "name": "fresh-app", "version": "1.0.0", "type": "module", "private": true }' > package.json
echo "test-packed.sh: npm install the tarball into a fresh app (no build tools on PATH)" >&2
run npm install --no-audit --no-fund --prefer-offline --loglevel=error "$TGZ" >/dev/null

SECRET='packed-package-test-secret-0123456789'
# Tokens from every backend of this checkout.
FROM_REPO="$(node --input-type=module -e "
  const { createCodec } = await import('$REPO/dist/crypto/index.js');
  const out = {};
  for (const b of ['native', 'wasm', 'js', 'node']) out[b] = createCodec({ secrets: '$SECRET', name: 'sid', backend: b }).seal('from ' + b, 1000);
  console.log(JSON.stringify(out));")"

cat > check.mjs <<'JS'
import { createCodec, resolveBackend } from 'wasm-session/crypto';
import { Session, MemoryProvider } from 'wasm-session';
const [secret, fromRepo] = [process.argv[2], JSON.parse(process.argv[3])];
const c = createCodec({ secrets: secret, name: 'sid' });
const opened = Object.fromEntries(Object.entries(fromRepo).map(([b, t]) => [b, c.openText(t, { now: 1000 }).value ?? null]));
let nativeError = null;
try { createCodec({ secrets: secret, name: 'sid', backend: 'native' }); } catch (e) { nativeError = e.code; }
console.log(JSON.stringify({
  auto: resolveBackend('auto'), backend: c.backend, nativeError,
  session: new Session(new MemoryProvider(), { cookieSecret: secret }).backend,
  opened, sealed: c.seal('from the app', 2000),
}));
JS
APP_OUT="$(run node check.mjs "$SECRET" "$FROM_REPO")"
echo "test-packed.sh: app says $APP_OUT" >&2
node --input-type=module -e "
  const { createCodec } = await import('$REPO/dist/crypto/index.js');
  const r = JSON.parse(process.argv[1]);
  const fail = (m) => { console.error('test-packed.sh: FAIL: ' + m); process.exit(1); };
  if (r.auto !== 'native' || r.backend !== 'native' || r.session !== 'native' || r.nativeError !== null) fail('auto did not pick native in the installed package');
  for (const b of ['native', 'wasm', 'js', 'node']) {
    if (r.opened[b] !== 'from ' + b) fail('the app did not open the ' + b + ' token');
    const o = createCodec({ secrets: '$SECRET', name: 'sid', backend: b }).openText(r.sealed, { now: 2000 });
    if (!o.ok || o.value !== 'from the app') fail(b + ' did not open the app token');
  }" "$APP_OUT"

# Without a binary for this platform: silent fallback for auto, a typed error for native.
rm -rf node_modules/wasm-session/prebuilds
FALLBACK="$(run node check.mjs "$SECRET" "$FROM_REPO")"
node -e '
  const r = JSON.parse(process.argv[1]);
  if (r.auto !== "wasm" || r.backend !== "wasm" || r.nativeError !== "ERR_BACKEND_UNAVAILABLE" || r.opened.native !== "from native") {
    console.error("test-packed.sh: FAIL: fallback without the prebuild: " + process.argv[1]); process.exit(1);
  }' "$FALLBACK"
echo "test-packed.sh: OK: packed package picks native without a compiler, interoperates both ways, falls back to wasm without its prebuild" >&2
