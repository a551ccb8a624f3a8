//! The RustCrypto primitives, under the names the format uses. The format
//! code and the known-answer tests (`tests/vectors.rs`) both go through
//! these functions, so the vectors exercise the exact code paths.

use aes::cipher::{BlockEncrypt, InnerIvInit, KeyInit};
use hmac::Mac;
use zeroize::{Zeroize, Zeroizing};

use crate::wipe::Wiped;

pub use aes::Aes256;

/// HMAC-SHA256.
pub type HmacSha256 = hmac::Hmac<sha2::Sha256>;
/// HKDF-SHA256 (RFC 5869).
pub type HkdfSha256 = hkdf::Hkdf<sha2::Sha256>;

/// AES block size; also the IV size of CFB128.
pub const BLOCK_LEN: usize = 16;
/// HMAC-SHA256 output size.
pub const MAC_LEN: usize = 32;

type Block = aes::Block;

/// AES-256 with its key schedule expanded once (the `soft` fixslice
/// backend on wasm32: constant time, no table lookups). Zeroized on drop
/// through the `aes/zeroize` feature.
pub fn aes256(key: &[u8; 32]) -> Aes256 {
    Aes256::new(key.into())
}

/// AES-256-CFB128 (SP 800-38A, = OpenSSL `aes-256-cfb`) encryption in
/// place; a trailing partial block is XORed with truncated keystream.
///
/// `BufEncryptor` rather than `Encryptor`: it keeps the pending keystream
/// block, so a partial final block costs no AES call, whereas the
/// `AsyncStreamCipher` path encrypts a padded tail block (a 38-byte
/// plaintext takes 3 AES calls instead of 4). The cipher is borrowed, so
/// its key schedule is not copied per message.
pub fn cfb_encrypt(cipher: &Aes256, iv: &[u8; BLOCK_LEN], buf: &mut [u8]) {
    cfb_mode::BufEncryptor::<&Aes256>::inner_iv_init(cipher, iv.into()).encrypt(buf);
}

/// Keystream blocks computed per `encrypt_blocks` call in `cfb_decrypt`.
const DECRYPT_BATCH: usize = 8;

/// AES-256-CFB128 decryption in place.
///
/// Keystream block i is E(C[i-1]) with C[-1] = IV, and the whole
/// ciphertext is known up front, so all keystream blocks of a batch go
/// through one `encrypt_blocks` call, which the fixslice backend runs 2
/// (wasm32) or 4 (64-bit) blocks at a time. `cfb_mode::Decryptor` would do
/// the same for whole blocks but spends an extra AES call on the IV and
/// one on a padded tail block. Equivalence with `cfb_mode::Decryptor` for
/// every length is tested in tests/vectors.rs.
pub fn cfb_decrypt(cipher: &Aes256, iv: &[u8; BLOCK_LEN], buf: &mut [u8]) {
    let mut ks = [Block::default(); DECRYPT_BATCH];
    let mut prev = Block::clone_from_slice(iv);
    let mut used = 0;
    for chunk in buf.chunks_mut(BLOCK_LEN * DECRYPT_BATCH) {
        let blocks = (chunk.len() + BLOCK_LEN - 1) / BLOCK_LEN;
        ks[0] = prev;
        for (k, c) in ks[1..blocks].iter_mut().zip(chunk.chunks_exact(BLOCK_LEN)) {
            k.copy_from_slice(c);
        }
        if let Some(last) = chunk.chunks_exact(BLOCK_LEN).nth(DECRYPT_BATCH - 1) {
            prev.copy_from_slice(last); // chains into the next batch
        }
        cipher.encrypt_blocks(&mut ks[..blocks]);
        for (b, k) in chunk.iter_mut().zip(ks.iter().flatten()) {
            *b ^= k;
        }
        used = used.max(blocks);
    }
    // keystream XOR public ciphertext = plaintext: do not leave it behind.
    for k in &mut ks[..used] {
        k.as_mut_slice().zeroize();
    }
}

/// An HMAC-SHA256 key, kept as the keyed state (inner and outer pads
/// already absorbed) so each use clones 200-odd bytes instead of rehashing
/// the key. Zeroed on drop.
pub struct MacKey(Wiped<HmacSha256>);

impl MacKey {
    /// Keys HMAC-SHA256 with `key` (any length, per RFC 2104).
    pub fn new(key: &[u8]) -> Self {
        let mac = match <HmacSha256 as KeyInit>::new_from_slice(key) {
            Ok(mac) => mac,
            // HMAC accepts keys of every length.
            Err(_) => unreachable!(),
        };
        // SAFETY: Hmac<Sha256> is plain data (hash states and a block buffer).
        MacKey(unsafe { Wiped::new(mac) })
    }

    /// HMAC of the concatenation of `parts`.
    // The `let`s below end the borrow of `mac` before it is dropped (a
    // tail-expression temporary would outlive it in edition 2021).
    #[allow(clippy::let_and_return)]
    pub fn compute(&self, parts: &[&[u8]]) -> [u8; MAC_LEN] {
        let mut mac = self.keyed(parts);
        let out = mac.finalize_reset().into_bytes().into();
        out
    }

    /// Constant-time check (via `subtle`) that `tag` is the full 32-byte
    /// HMAC of the concatenation of `parts`.
    #[allow(clippy::let_and_return)]
    pub fn verify(&self, parts: &[&[u8]], tag: &[u8]) -> bool {
        let mut mac = self.keyed(parts);
        let ok = mac.verify_slice_reset(tag).is_ok();
        ok
    }

    fn keyed(&self, parts: &[&[u8]]) -> Wiped<HmacSha256> {
        // SAFETY: as in `new`; the per-message clone is zeroed too.
        let mut mac = unsafe { Wiped::new((*self.0).clone()) };
        for p in parts {
            mac.update(p);
        }
        mac
    }
}

/// HKDF-Extract: returns the PRK bytes and the expander built from them.
pub fn hkdf_extract(salt: &[u8], ikm: &[u8]) -> (Zeroizing<[u8; 32]>, Prk) {
    let (prk, hk) = HkdfSha256::extract(Some(salt), ikm);
    let prk: [u8; 32] = prk.into();
    // SAFETY: Hkdf<Sha256> holds only an HmacCore (plain data).
    (Zeroizing::new(prk), Prk(unsafe { Wiped::new(hk) }))
}

/// An HKDF-SHA256 pseudorandom key, ready to expand. Zeroed on drop.
pub struct Prk(Wiped<HkdfSha256>);

impl Prk {
    /// HKDF-Expand with info = concatenation of `info`. Returns false when
    /// `okm` is longer than 255 * 32 bytes (the RFC 5869 limit).
    #[must_use]
    pub fn expand(&self, info: &[&[u8]], okm: &mut [u8]) -> bool {
        self.0.expand_multi_info(info, okm).is_ok()
    }
}
