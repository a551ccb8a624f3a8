//! Key derivation (HKDF-SHA256) and key rings.

use zeroize::Zeroizing;

use crate::crypto::{aes256, hkdf_extract, Aes256, MacKey};

/// HKDF salt of format v1.
pub const SALT: &[u8] = b"wasm-session/v1";

/// One cookie key: what is derived from (secret, cookie name), precomputed
/// so seal/open do no key setup. All parts are zeroed on drop.
pub struct Key {
    kid: u8,
    pub(crate) enc: Aes256,
    pub(crate) mac: MacKey,
}

impl Key {
    /// Derives the encryption and MAC keys for `cookie_name` from `secret`
    /// (both as UTF-8 bytes):
    /// `encKey = HKDF(salt, secret, "enc " || name)`,
    /// `macKey = HKDF(salt, secret, "mac " || name)`,
    /// `kid = HMAC(macKey, "kid")[0]`.
    pub fn derive(secret: &[u8], cookie_name: &[u8]) -> Key {
        let (_prk, prk) = hkdf_extract(SALT, secret);
        let mut enc_key = Zeroizing::new([0u8; 32]);
        let mut mac_key = Zeroizing::new([0u8; 32]);
        // 32 bytes is far below HKDF's 255 * 32 limit, so these succeed.
        let ok = prk.expand(&[b"enc ", cookie_name], &mut enc_key[..])
            & prk.expand(&[b"mac ", cookie_name], &mut mac_key[..]);
        debug_assert!(ok);
        let mac = MacKey::new(&mac_key[..]);
        let kid = mac.compute(&[b"kid"])[0];
        Key { kid, enc: aes256(&enc_key), mac }
    }

    /// The key id carried in byte 1 of a token. One byte only: it is a
    /// hint that skips most non-matching keys, not an identity; keys with
    /// equal kids are all tried.
    pub fn kid(&self) -> u8 {
        self.kid
    }
}

/// Ordered keys for one cookie: index 0 seals, all of them open (so a
/// secret can be rotated by prepending the new one).
#[derive(Default)]
pub struct Ring {
    keys: Vec<Key>,
}

impl Ring {
    /// An empty ring.
    pub const fn new() -> Ring {
        Ring { keys: Vec::new() }
    }

    /// Appends `key`; returns its index.
    pub fn push(&mut self, key: Key) -> usize {
        self.keys.push(key);
        self.keys.len() - 1
    }

    /// The key at `index`.
    pub fn get(&self, index: usize) -> Option<&Key> {
        self.keys.get(index)
    }

    /// The sealing key (index 0), if any.
    pub fn primary(&self) -> Option<&Key> {
        self.keys.first()
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when the ring has no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Keys in ring order.
    pub fn keys(&self) -> &[Key] {
        &self.keys
    }
}
