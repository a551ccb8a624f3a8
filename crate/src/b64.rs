//! Strict base64url without padding (RFC 4648 §5).
//!
//! Decoding accepts only the canonical encoding: alphabet `A-Za-z0-9-_`,
//! no `=`, length % 4 != 1, and zero unused low bits in the last character.
//! Otherwise a token with a flipped trailing bit would decode to the same
//! bytes and still open (tokens would be malleable).
//!
//! Tokens carry only public bytes (version, kid, IV, ciphertext, tag), so
//! they go through the `base64` crate's table-driven engine, about twice as
//! fast as a constant-time one. Session IDs are secrets: `encode_secret`
//! uses `base64ct`, which has no secret-dependent table lookups.

use base64::alphabet::URL_SAFE;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use base64ct::{Base64UrlUnpadded, Encoding};

/// base64url, no padding on encode, padding refused and trailing bits
/// required to be zero on decode.
const STRICT: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(false),
);

/// Characters needed for `n` bytes: ceil(4n / 3).
pub const fn encoded_len(n: usize) -> usize {
    (4 * n + 2) / 3
}

/// Bytes carried by `n` characters of a valid encoding.
pub const fn decoded_len(n: usize) -> usize {
    n * 3 / 4
}

/// Encodes public bytes into the front of `dst`; returns the number of
/// characters written, or None if `dst` is too small.
pub fn encode(src: &[u8], dst: &mut [u8]) -> Option<usize> {
    STRICT.encode_slice(src, dst).ok()
}

/// Encodes secret bytes (session IDs) in constant time.
pub fn encode_secret(src: &[u8], dst: &mut [u8]) -> Option<usize> {
    Base64UrlUnpadded::encode(src, dst).ok().map(str::len)
}

/// Strictly decodes `src` into the front of `dst`; returns the number of
/// bytes written, or None for any non-canonical or invalid input (or if
/// `dst` is too small).
pub fn decode(src: &[u8], dst: &mut [u8]) -> Option<usize> {
    // The engine rejects this too; stated because the format relies on it.
    if src.len() % 4 == 1 || dst.len() < decoded_len(src.len()) {
        return None;
    }
    STRICT.decode_slice(src, dst).ok()
}
