//! Sealed token format v1: seal and open.
//!
//! Raw layout: `0x01 | kid | iv(16) | ct | tag(32)` where `ct` encrypts
//! `issuedAt(u64 BE, ms) | value`. The token is the raw bytes in
//! base64url without padding.

use zeroize::Zeroize;

use crate::b64;
use crate::crypto::{cfb_decrypt, cfb_encrypt, BLOCK_LEN, MAC_LEN};
use crate::keys::{Key, Ring};

/// Format version byte.
pub const VERSION: u8 = 0x01;
/// IV length (one AES block).
pub const IV_LEN: usize = BLOCK_LEN;
/// Tag length (full HMAC-SHA256).
pub const TAG_LEN: usize = MAC_LEN;
/// Length of the issuedAt prefix of the plaintext.
pub const TS_LEN: usize = 8;
/// Version, kid and IV: the bytes before the ciphertext.
pub const HEADER_LEN: usize = 2 + IV_LEN;
/// Raw bytes beyond the value: 58, the raw length of an empty value.
pub const OVERHEAD: usize = HEADER_LEN + TS_LEN + TAG_LEN;
/// Longest token, in characters (fits a 4 KiB cookie budget).
pub const TOKEN_MAX: usize = 4096;
/// Longest raw token: 3072 bytes.
pub const RAW_MAX: usize = b64::decoded_len(TOKEN_MAX);
/// Longest value that seals into at most `TOKEN_MAX` characters: 3014.
pub const VALUE_MAX: usize = RAW_MAX - OVERHEAD;

/// Token length in characters for a value of `value_len` bytes.
pub const fn token_len(value_len: usize) -> usize {
    b64::encoded_len(OVERHEAD + value_len)
}

/// Why `seal` failed. The discriminants are the ABI return codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum SealError {
    /// The token would exceed `TOKEN_MAX` characters.
    TooLong = -7,
    /// `out` cannot hold the token.
    BufferTooSmall = -8,
}

/// Why `open` failed. The discriminants are the ABI return codes, and the
/// variants are checked in this order by every backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum OpenError {
    /// Too long, not canonical base64url, or shorter than 58 raw bytes.
    Malformed = -1,
    /// Version byte is not 0x01.
    UnsupportedVersion = -2,
    /// No key in the ring has the token's kid.
    UnknownKey = -3,
    /// No key with that kid authenticates the token.
    BadTag = -4,
    /// Older than the maximum age.
    Expired = -5,
    /// Issued further in the future than the allowed clock skew.
    Future = -6,
}

/// A successfully opened token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Opened {
    /// Length of the value written to the front of `out`.
    pub value_len: usize,
    /// issuedAt, ms since the Unix epoch.
    pub issued_at: u64,
    /// Index in the ring of the key that authenticated the token.
    pub key_index: usize,
}

/// Seals `value` under `key` with the given IV and issue time, writing the
/// token (ASCII) to the front of `out`; returns its length. `scratch`
/// holds the raw token (no plaintext is left in it).
pub fn seal(
    key: &Key,
    iv: &[u8; IV_LEN],
    issued_at: u64,
    value: &[u8],
    scratch: &mut [u8; RAW_MAX],
    out: &mut [u8],
) -> Result<usize, SealError> {
    if value.len() > VALUE_MAX {
        return Err(SealError::TooLong);
    }
    let tlen = token_len(value.len());
    if out.len() < tlen {
        return Err(SealError::BufferTooSmall);
    }
    let body_len = HEADER_LEN + TS_LEN + value.len();
    let (body, rest) = scratch.split_at_mut(body_len);
    let tag_out = &mut rest[..TAG_LEN];

    body[0] = VERSION;
    body[1] = key.kid();
    body[2..HEADER_LEN].copy_from_slice(iv);
    body[HEADER_LEN..HEADER_LEN + TS_LEN].copy_from_slice(&issued_at.to_be_bytes());
    body[HEADER_LEN + TS_LEN..].copy_from_slice(value);
    cfb_encrypt(&key.enc, iv, &mut body[HEADER_LEN..]);
    // Encrypt-then-MAC over everything before the tag.
    tag_out.copy_from_slice(&key.mac.compute(&[body]));

    match b64::encode(&scratch[..body_len + TAG_LEN], out) {
        Some(n) => Ok(n),
        None => Err(SealError::BufferTooSmall),
    }
}

/// Opens `token` with the keys of `ring`, writing the value to the front
/// of `out`. `now` and `issued_at` are ms since the epoch; `max_age_s < 0`
/// disables the age check; `skew_ms` is the tolerated clock skew for
/// tokens from the future. Time comparisons are in f64, as in the
/// TypeScript backends. Nothing is written to `out` unless the token
/// opens, and the plaintext is wiped from `scratch` either way.
pub fn open(
    ring: &Ring,
    token: &[u8],
    now: f64,
    max_age_s: f64,
    skew_ms: f64,
    scratch: &mut [u8; RAW_MAX],
    out: &mut [u8],
) -> Result<Opened, OpenError> {
    // 1-3: shape. The length cap comes before decoding.
    if token.len() > TOKEN_MAX {
        return Err(OpenError::Malformed);
    }
    let raw_len = b64::decode(token, &mut scratch[..]).ok_or(OpenError::Malformed)?;
    if raw_len < OVERHEAD {
        return Err(OpenError::Malformed);
    }
    let raw = &mut scratch[..raw_len];
    // 4: version.
    if raw[0] != VERSION {
        return Err(OpenError::UnsupportedVersion);
    }
    // 5: kid.
    let kid = raw[1];
    if !ring.keys().iter().any(|k| k.kid() == kid) {
        return Err(OpenError::UnknownKey);
    }
    // 6: tag, for every key with that kid, before any decryption.
    let (body, tag) = raw.split_at_mut(raw_len - TAG_LEN);
    let (key_index, key) = ring
        .keys()
        .iter()
        .enumerate()
        .filter(|(_, k)| k.kid() == kid)
        .find(|(_, k)| k.mac.verify(&[&body[..]], tag))
        .ok_or(OpenError::BadTag)?;
    // 7: decrypt, then the time checks.
    let (header, ct) = body.split_at_mut(HEADER_LEN);
    let mut iv = [0u8; IV_LEN];
    iv.copy_from_slice(&header[2..]);
    cfb_decrypt(&key.enc, &iv, ct);
    let mut ts = [0u8; TS_LEN];
    ts.copy_from_slice(&ct[..TS_LEN]);
    let issued_at = u64::from_be_bytes(ts);
    let value = &ct[TS_LEN..];

    let issued = issued_at as f64;
    let result = if issued > now + skew_ms {
        Err(OpenError::Future)
    } else if max_age_s >= 0.0 && now - issued >= max_age_s * 1000.0 {
        Err(OpenError::Expired)
    } else if out.len() < value.len() {
        // Not reachable through the ABI (OUT is larger than any value).
        Err(OpenError::Malformed)
    } else {
        out[..value.len()].copy_from_slice(value);
        Ok(Opened { value_len: value.len(), issued_at, key_index })
    };
    ct.zeroize();
    result
}
