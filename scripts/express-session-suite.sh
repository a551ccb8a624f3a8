#!/usr/bin/env bash
# Runs express-session's own test/session.js, unmodified, against
# wasm-session/express-session (dist/, so `npm run build` first).
#
#   scripts/express-session-suite.sh /path/to/expressjs-session-checkout [default|signed] [mocha args...]
#
# The checkout's own devDependencies (mocha, supertest, express 4, cookie-parser,
# after) are installed into it with `npm install` on first use. The test files
# are copied to a scratch directory whose `../` (the package under test) and
# `../session/cookie` resolve to this repository's CommonJS entry; nothing in
# the checkout is changed except its node_modules and test/fixtures (the
# self-signed certificate the suite makes). `signed` runs the drop-in with
# cookieFormat: 'signed' (express-session's own `s:<id>.<hmac>` cookie).
set -euo pipefail
suite=$(cd "${1:?path to a checkout of github.com/expressjs/session}" && pwd)
format=${2:-default}
shift $(( $# >= 2 ? 2 : 1 ))
repo=$(cd "$(dirname "$0")/.." && pwd)
case "$format" in default|signed) ;; *) echo "format must be default or signed" >&2; exit 2 ;; esac
[ -f "$repo/dist/express-session/index.js" ] || { echo "build first: npm run build" >&2; exit 2; }
[ -d "$suite/node_modules/mocha" ] || (cd "$suite" && npm install --no-audit --no-fund --ignore-scripts >/dev/null)
[ -f "$suite/test/fixtures/server.crt" ] || (cd "$suite" && mkdir -p test/fixtures && sh test/support/gencert.sh >/dev/null 2>&1)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$suite/test" "$work/test"
ln -s "$suite/node_modules" "$work/node_modules"
mkdir -p "$work/session"
cat >"$work/index.js" <<JS
'use strict';
const session = require(${repo@Q} + '/express-session.cjs');
module.exports = process.env.WS_SUITE_FORMAT === 'signed'
  ? Object.assign(function signedSession(options) { return session({ cookieFormat: 'signed', ...options }); }, session)
  : session;
JS
echo "module.exports = require('../index.js').Cookie;" >"$work/session/cookie.js"
cd "$work"
WS_SUITE_FORMAT=$format exec node "$suite/node_modules/mocha/bin/mocha.js" --require test/support/env --check-leaks --no-exit --reporter dot "$@" test/session.js
