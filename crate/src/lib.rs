//! Crypto core of wasm-session: sealed cookie format v1.
//!
//! ```text
//! prk    = HKDF-Extract(salt = "wasm-session/v1", ikm = secret)
//! encKey = HKDF-Expand(prk, "enc " || cookieName, 32)
//! macKey = HKDF-Expand(prk, "mac " || cookieName, 32)
//! kid    = HMAC-SHA256(macKey, "kid")[0]
//! ct     = AES-256-CFB128(encKey, iv, issuedAt_u64_be || value)
//! tag    = HMAC-SHA256(macKey, 0x01 || kid || iv || ct)
//! token  = base64url-nopad(0x01 || kid || iv || ct || tag)
//! ```
//!
//! The TypeScript backends (noble, node:crypto) produce the same bytes for
//! the same IV, so every detail here (check order, error codes, limits) is
//! part of the format. Modules:
//!
//! * [`crypto`]: the RustCrypto primitives under the names the format uses,
//! * [`keys`]: key derivation and key rings,
//! * [`b64`]: strict (canonical) base64url,
//! * [`format`]: seal / open,
//! * [`rng`], [`ids`]: ChaCha20 CSPRNG for IVs and session IDs,
//! * [`abi`]: the `extern "C"` surface of the `.wasm` module.
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

pub mod abi;
pub mod b64;
#[cfg(feature = "bench")]
mod bench;
pub mod crypto;
pub mod format;
pub mod ids;
pub mod keys;
pub mod rng;
mod wipe;

pub use format::{open, seal, OpenError, Opened, SealError};
pub use keys::{Key, Ring};
