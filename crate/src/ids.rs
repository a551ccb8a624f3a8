//! Session IDs: 128 random bits as 22 base64url characters.

use crate::b64;
use crate::rng::{Entropy, Generator};

/// Random bytes per ID.
pub const ID_BYTES: usize = 16;
/// Characters per ID (ceil(128 / 6); the last one's 2 low bits are 0).
pub const ID_LEN: usize = b64::encoded_len(ID_BYTES);

/// Writes `out.len() / ID_LEN` IDs back to back into `out` (any tail
/// shorter than an ID is left alone); returns how many.
pub fn fill_ids<E: Entropy>(rng: &mut Generator<E>, out: &mut [u8]) -> usize {
    let mut bytes = [0u8; ID_BYTES];
    let mut n = 0;
    for id in out.chunks_exact_mut(ID_LEN) {
        rng.generate(&mut bytes, 1);
        // 16 bytes always encode to exactly ID_LEN characters.
        let _ = b64::encode_secret(&bytes, id);
        n += 1;
    }
    n
}
