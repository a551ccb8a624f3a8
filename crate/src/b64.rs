//! Strict base64url without padding (RFC 4648 §5), constant time via
//! `base64ct`.
//!
//! Decoding accepts only the canonical encoding: alphabet `A-Za-z0-9-_`,
//! no `=`, length % 4 != 1, and zero unused low bits in the last character.
//! Otherwise a token with a flipped trailing bit would decode to the same
//! bytes and still open (tokens would be malleable).

use base64ct::{Base64UrlUnpadded, Encoding};

/// Characters needed for `n` bytes: ceil(4n / 3).
pub const fn encoded_len(n: usize) -> usize {
    (4 * n + 2) / 3
}

/// Bytes carried by `n` characters of a valid encoding.
pub const fn decoded_len(n: usize) -> usize {
    n * 3 / 4
}

/// Encodes `src` into the front of `dst`; returns the number of characters
/// written, or None if `dst` is too small.
pub fn encode(src: &[u8], dst: &mut [u8]) -> Option<usize> {
    Base64UrlUnpadded::encode(src, dst).ok().map(str::len)
}

/// Strictly decodes `src` into the front of `dst`; returns the number of
/// bytes written, or None for any non-canonical or invalid input (or if
/// `dst` is too small).
pub fn decode(src: &[u8], dst: &mut [u8]) -> Option<usize> {
    // base64ct rejects these too (and checks the trailing bits by
    // re-encoding the last block); stated here because the format relies
    // on it.
    if src.len() % 4 == 1 {
        return None;
    }
    Base64UrlUnpadded::decode(src, dst).ok().map(<[u8]>::len)
}
