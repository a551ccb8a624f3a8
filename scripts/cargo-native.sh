#!/usr/bin/env bash
# Builds the Rust side of the native backend (native/ over crate/) for the
# host as a staticlib: target/native/release/libwasm_session_native.a.
# Run by binding.gyp's action (so `node-gyp rebuild` is the whole build).
#   scripts/cargo-native.sh --test   # cargo test of the glue (npm run test:native-crate):
#                                    # round trips, OS-random IVs/IDs, freed keys zeroed
#
# Toolchain: a recent cargo (rustup's, /root/.cargo/bin or ~/.cargo/bin, or
# CARGO=/path/to/cargo); Debian's 1.63 also works. AES-NI and SHA-NI are
# chosen at run time by the aes/sha2 crates (cpufeatures), so the binary
# runs on any x86-64 and is fast where the CPU has them.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
CARGO="${CARGO:-}"
if [ -z "$CARGO" ]; then
  for c in "$HOME/.cargo/bin/cargo" /root/.cargo/bin/cargo "$(command -v cargo || true)"; do
    if [ -n "$c" ] && [ -x "$c" ]; then CARGO="$c"; break; fi
  done
fi
[ -n "$CARGO" ] || { echo "cargo-native.sh: error: cargo not found; install Rust (https://rustup.rs) or set CARGO=/path/to/cargo" >&2; exit 1; }
# Keep the wasm build's remapping flags etc. out of this build.
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_TARGET RUSTC_WRAPPER || true
cd "$REPO"
if [ "${1:-}" = "--test" ]; then
  exec "$CARGO" test --locked -p wasm-session-native --target-dir "$REPO/target/native"
fi
exec "$CARGO" build --release --locked -p wasm-session-native --target-dir "$REPO/target/native" --quiet
