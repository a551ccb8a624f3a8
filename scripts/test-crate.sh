#!/usr/bin/env bash
# Native `cargo test` of the Rust crypto core (crate/): NIST SP 800-38A,
# RFC 4231 and RFC 5869 vectors, format, IDs, ABI. Offline, with Debian's
# rustc 1.63 / cargo 1.65 and the vendored crates; aes forced to its
# software backend as in the .wasm. Same as `scripts/build-wasm.sh --test`.
set -euo pipefail
exec bash "$(dirname "${BASH_SOURCE[0]}")/build-wasm.sh" --test "$@"
