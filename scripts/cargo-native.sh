#!/usr/bin/env bash
# Builds the Rust side of the native backend (native/ over crate/) as a
# staticlib and copies it to target/native/lib/libwasm_session_native.a,
# where binding.gyp links it from. Run by binding.gyp's action (so
# `node-gyp rebuild` is the whole build).
#   scripts/cargo-native.sh --test   # cargo test of the glue (npm run test:native-crate):
#                                    # round trips, OS-random IVs/IDs, freed keys zeroed
#
# Host build: a recent cargo (rustup's, /root/.cargo/bin or ~/.cargo/bin, or
# CARGO=/path/to/cargo); Debian's 1.63 also works. AES-NI and SHA-NI are
# chosen at run time by the aes/sha2 crates (cpufeatures), so the binary
# runs on any x86-64 and is fast where the CPU has them.
#
# Cross build (scripts/build-native.sh --arch arm64 sets this):
# WASM_SESSION_RUST_TARGET=aarch64-unknown-linux-gnu builds with Debian's
# rustc 1.63 and its multiarch std (apt-get install -y libstd-rust-dev:arm64
# after dpkg --add-architecture arm64; rustup cannot download targets on
# these machines), offline from .cargo-vendor/ (filled by build-wasm.sh's
# vendoring step, here too).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
die() { echo "cargo-native.sh: error: $*" >&2; exit 1; }
# Keep the wasm build's remapping flags etc. out of this build.
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_TARGET RUSTC_WRAPPER || true
cd "$REPO"
TARGET="${WASM_SESSION_RUST_TARGET:-}"
LIB_DIR="$REPO/target/native/lib"
mkdir -p "$LIB_DIR"

if [ -n "$TARGET" ]; then
  [ "${1:-}" = "--test" ] && die "--test runs on the host only (unset WASM_SESSION_RUST_TARGET)"
  case "$TARGET" in
    aarch64-unknown-linux-gnu) LINKER=aarch64-linux-gnu-gcc; APT="gcc-aarch64-linux-gnu libstd-rust-dev:arm64 (after dpkg --add-architecture arm64 && apt-get update)" ;;
    *) die "unsupported cross target $TARGET" ;;
  esac
  SYSROOT="$(/usr/bin/rustc --print sysroot 2>/dev/null)" || die "Debian's rustc (/usr/bin/rustc) is needed for $TARGET: apt-get install -y rustc cargo"
  ls "$SYSROOT/lib/rustlib/$TARGET/lib/"libstd-*.rlib >/dev/null 2>&1 || die "no Rust std for $TARGET: apt-get install -y $APT"
  command -v "$LINKER" >/dev/null || die "$LINKER not found: apt-get install -y $APT"
  VENDOR="$REPO/.cargo-vendor"
  LOCK_SUM="$(sha256sum "$REPO/Cargo.lock" | cut -d' ' -f1)"
  if [ "$(cat "$VENDOR/.cargo-lock.sha256" 2>/dev/null)" != "$LOCK_SUM" ]; then
    VENDOR_CARGO="${VENDOR_CARGO:-$HOME/.cargo/bin/cargo}"
    [ -x "$VENDOR_CARGO" ] || die ".cargo-vendor/ is missing or stale and vendoring needs a recent cargo (VENDOR_CARGO=/path/to/cargo)"
    rm -rf "$VENDOR"
    CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback "$VENDOR_CARGO" vendor --locked --quiet "$VENDOR" >/dev/null || die "cargo vendor failed"
    echo "$LOCK_SUM" > "$VENDOR/.cargo-lock.sha256"
  fi
  ENV_LINKER="CARGO_TARGET_$(echo "$TARGET" | tr 'a-z-' 'A-Z_')_LINKER"
  # aes_armv8: the ARMv8 AES instructions, picked at run time (aes 0.8; Rust 1.61+).
  # SHA-256 stays portable Rust on aarch64 (sha2 needs its asm feature there).
  env RUSTC=/usr/bin/rustc RUSTFLAGS="--cfg aes_armv8" "$ENV_LINKER=$LINKER" /usr/bin/cargo build --release --offline --locked --quiet \
    -p wasm-session-native --target "$TARGET" --target-dir "$REPO/target/native" \
    --config 'source.crates-io.replace-with="vendored-sources"' \
    --config "source.vendored-sources.directory=\"$VENDOR\""
  BUILT="$REPO/target/native/$TARGET/release/libwasm_session_native.a"
else
  CARGO="${CARGO:-}"
  if [ -z "$CARGO" ]; then
    for c in "$HOME/.cargo/bin/cargo" /root/.cargo/bin/cargo "$(command -v cargo || true)"; do
      if [ -n "$c" ] && [ -x "$c" ]; then CARGO="$c"; break; fi
    done
  fi
  [ -n "$CARGO" ] || die "cargo not found; install Rust (https://rustup.rs) or set CARGO=/path/to/cargo"
  if [ "${1:-}" = "--test" ]; then
    exec "$CARGO" test --locked -p wasm-session-native --target-dir "$REPO/target/native"
  fi
  "$CARGO" build --release --locked -p wasm-session-native --target-dir "$REPO/target/native" --quiet
  BUILT="$REPO/target/native/release/libwasm_session_native.a"
fi
[ -f "$BUILT" ] || die "cargo did not produce $BUILT"
# One fixed path for binding.gyp, whatever the target.
cp "$BUILT" "$LIB_DIR/libwasm_session_native.a"
