#!/usr/bin/env bash
# Builds the Rust crypto core (crate/) into wasm/wasm_session_core.wasm.
#
#   scripts/build-wasm.sh                 # build + copy to wasm/ (npm run build:wasm)
#   scripts/build-wasm.sh --test          # native `cargo test` of the crate instead
#                                         # (offline, Debian toolchain, vendored crates)
#   scripts/build-wasm.sh --out FILE      # write the .wasm to FILE instead
#   scripts/build-wasm.sh --target-dir D  # cargo target dir (default: target/)
#   scripts/build-wasm.sh --features F    # cargo features (e.g. bench; use with --out)
#
# Toolchain: Debian 12's rustc 1.63 + cargo 1.65 + libstd-rust-dev-wasm32
# (rustup cannot add the wasm32 target on these machines). Crates come from
# .cargo-vendor/ (gitignored), which is filled from Cargo.lock with rustup's
# newer cargo when missing or stale, since Debian's cargo may not reach
# crates.io; the build itself is offline.
#
# Reproducible: absolute paths of this checkout, the vendored sources, the
# target dir and CARGO_HOME are remapped, so every clone produces the same
# bytes (scripts/check-wasm.sh verifies the committed file).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
OUT="$REPO/wasm/wasm_session_core.wasm"
TARGET_DIR="$REPO/target"
MODE=build
FEATURES=()
while [ $# -gt 0 ]; do
  case "$1" in
    --test) MODE=test ;;
    --out) OUT="$2"; shift ;;
    --target-dir) TARGET_DIR="$2"; shift ;;
    --features) FEATURES=(--features "$2"); shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "build-wasm.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

die() { echo "build-wasm.sh: error: $*" >&2; exit 1; }

DEB_RUSTC=/usr/bin/rustc
DEB_CARGO=/usr/bin/cargo
DEB_RUSTDOC=/usr/bin/rustdoc
APT_HINT="install Debian's toolchain: apt-get install -y rustc cargo libstd-rust-dev-wasm32"
[ -x "$DEB_RUSTC" ] || die "$DEB_RUSTC not found; $APT_HINT"
[ -x "$DEB_CARGO" ] || die "$DEB_CARGO not found; $APT_HINT"
SYSROOT="$("$DEB_RUSTC" --print sysroot)"
if [ "$MODE" = build ] && ! ls "$SYSROOT"/lib/rustlib/wasm32-unknown-unknown/lib/libstd-*.rlib >/dev/null 2>&1; then
  die "the wasm32-unknown-unknown std for $DEB_RUSTC is missing; $APT_HINT"
fi

# --- vendored crates -------------------------------------------------------
VENDOR="$REPO/.cargo-vendor"
STAMP="$VENDOR/.cargo-lock.sha256"
LOCK_SUM="$(sha256sum "$REPO/Cargo.lock" | cut -d' ' -f1)"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$LOCK_SUM" ]; then
  VENDOR_CARGO="${VENDOR_CARGO:-$HOME/.cargo/bin/cargo}"
  [ -x "$VENDOR_CARGO" ] || die ".cargo-vendor/ is missing or older than Cargo.lock, and vendoring needs rustup's cargo (Debian's cargo 1.65 may not reach crates.io), not found at $VENDOR_CARGO. Install rustup, or set VENDOR_CARGO=/path/to/a/recent/cargo."
  echo "build-wasm.sh: vendoring crates from Cargo.lock into .cargo-vendor/ with $VENDOR_CARGO" >&2
  rm -rf "$VENDOR"
  (cd "$REPO" && CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback \
    "$VENDOR_CARGO" vendor --locked --quiet "$VENDOR" >/dev/null) \
    || die "cargo vendor failed (crates.io unreachable?)"
  echo "$LOCK_SUM" > "$STAMP"
fi

# --- environment: only what we set reaches rustc ---------------------------
unset RUSTC_WRAPPER RUSTC_WORKSPACE_WRAPPER CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_RUSTFLAGS \
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS CARGO_BUILD_TARGET CARGO_INCREMENTAL \
  SOURCE_DATE_EPOCH || true
mkdir -p "$TARGET_DIR"
TARGET_DIR="$(cd "$TARGET_DIR" && pwd -P)"
CARGO_HOME_DIR="${CARGO_HOME:-$HOME/.cargo}"
# Later prefixes win in rustc, so the more specific ones come last.
export RUSTFLAGS="--remap-path-prefix=$CARGO_HOME_DIR=/cargo-home \
--remap-path-prefix=$REPO=/wasm-session \
--remap-path-prefix=$VENDOR=/wasm-session/.cargo-vendor \
--remap-path-prefix=$TARGET_DIR=/wasm-session/target"
export RUSTC="$DEB_RUSTC" RUSTDOC="$DEB_RUSTDOC" CARGO_TARGET_DIR="$TARGET_DIR"
CARGO_ARGS=(--offline --locked -p wasm-session-core ${FEATURES[@]+"${FEATURES[@]}"}
  --config 'source.crates-io.replace-with="vendored-sources"'
  --config "source.vendored-sources.directory=\"$VENDOR\"")

cd "$REPO"
if [ "$MODE" = test ]; then
  # Native tests use aes' software (fixsliced) backend, as the .wasm does,
  # instead of AES-NI; separate target dir since RUSTFLAGS differ.
  # (crate/js/wasm-smoke.mjs then checks the built .wasm itself.)
  export RUSTFLAGS="$RUSTFLAGS --cfg aes_force_soft" CARGO_TARGET_DIR="$TARGET_DIR/native-test"
  exec "$DEB_CARGO" test "${CARGO_ARGS[@]}"
fi

"$DEB_CARGO" build --release --target wasm32-unknown-unknown "${CARGO_ARGS[@]}"
BUILT="$TARGET_DIR/wasm32-unknown-unknown/release/wasm_session_core.wasm"
[ -f "$BUILT" ] || die "cargo did not produce $BUILT"
mkdir -p "$(dirname "$OUT")"
cp "$BUILT" "$OUT"
echo "build-wasm.sh: wrote $OUT ($(wc -c < "$OUT") bytes, sha256 $(sha256sum "$OUT" | cut -c1-16))" >&2
