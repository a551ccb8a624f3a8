//! `--features bench` only: loops over each primitive inside the module so
//! crate/bench/primitives.mjs can time them without the JS crossing.

/// `core::hint::black_box` is unstable in 1.63: a volatile read of the
/// value (for references, of the pointer) hides it from the optimizer.
fn black_box<T>(x: T) -> T {
    // SAFETY: reads a valid, initialized local; the original is forgotten,
    // so ownership moves to the copy.
    let y = unsafe { core::ptr::read_volatile(&x) };
    core::mem::forget(x);
    y
}

use crate::b64;
use crate::crypto::{aes256, cfb_decrypt, cfb_encrypt, MacKey};
use crate::rng::{Generator, HostEntropy};

fn sink(b: &[u8]) -> i32 {
    i32::from(black_box(b)[0])
}

/// HMAC over `len` bytes, `n` times.
#[no_mangle]
pub extern "C" fn ws_bench_hmac(n: u32, len: u32) -> i32 {
    let mac = MacKey::new(&[7u8; 32]);
    let data = [1u8; 256];
    let mut acc = 0;
    for _ in 0..n {
        acc ^= i32::from(mac.compute(&[black_box(&data[..len as usize])])[0]);
    }
    acc
}

/// CFB encrypt (`dec` = 0) or decrypt of `len` bytes, `n` times.
#[no_mangle]
pub extern "C" fn ws_bench_cfb(n: u32, len: u32, dec: u32) -> i32 {
    let c = aes256(&[9u8; 32]);
    let mut buf = [0u8; 256];
    let iv = [3u8; 16];
    for _ in 0..n {
        if dec == 0 {
            cfb_encrypt(&c, &iv, black_box(&mut buf[..len as usize]));
        } else {
            cfb_decrypt(&c, &iv, black_box(&mut buf[..len as usize]));
        }
    }
    sink(&buf)
}

/// base64url encode (`dec` = 0) or strict decode of `len` raw bytes, `n` times.
#[no_mangle]
pub extern "C" fn ws_bench_b64(n: u32, len: u32, dec: u32) -> i32 {
    let raw = [0x5au8; 256];
    let mut txt = [0u8; 400];
    let t = b64::encode(&raw[..len as usize], &mut txt).unwrap_or(0);
    let mut out = [0u8; 300];
    let mut acc = 0;
    for _ in 0..n {
        if dec == 0 {
            acc += b64::encode(black_box(&raw[..len as usize]), &mut txt).unwrap_or(0);
        } else {
            acc += b64::decode(black_box(&txt[..t]), &mut out).unwrap_or(0);
        }
    }
    acc as i32
}

/// `n` 16-byte RNG outputs.
#[no_mangle]
pub extern "C" fn ws_bench_rng(n: u32) -> i32 {
    let mut g = Generator::new(HostEntropy);
    let mut b = [0u8; 16];
    for _ in 0..n {
        g.generate(&mut b, 1);
    }
    sink(&b)
}

/// Raw AES-256 block encryptions: `blocks` blocks per call, `n` times.
#[no_mangle]
pub extern "C" fn ws_bench_aes(n: u32, blocks: u32) -> i32 {
    use aes::cipher::{generic_array::GenericArray, BlockEncrypt};
    let c = aes256(&[9u8; 32]);
    let mut buf = [GenericArray::from([0u8; 16]); 4];
    for _ in 0..n {
        c.encrypt_blocks(black_box(&mut buf[..blocks as usize]));
    }
    sink(&buf[0])
}

/// HMAC via plain clone + finalize (no wipe, no reset), for comparison.
#[no_mangle]
pub extern "C" fn ws_bench_hmac_plain(n: u32, len: u32) -> i32 {
    use hmac::Mac;
    let mac = <crate::crypto::HmacSha256 as hmac::digest::KeyInit>::new_from_slice(&[7u8; 32]).unwrap();
    let data = [1u8; 256];
    let mut acc = 0;
    for _ in 0..n {
        let mut m = mac.clone();
        m.update(black_box(&data[..len as usize]));
        acc ^= i32::from(m.finalize().into_bytes()[0]);
    }
    acc
}
