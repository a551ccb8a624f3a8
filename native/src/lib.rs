//! C ABI of the native backend: glue only. Format, keys and crypto are
//! wasm-session-core's (`format::seal`/`open`, `Key::derive`, `Ring`), the
//! same code the .wasm runs; here they are compiled for the host, where
//! `aes` and `sha2` pick AES-NI / SHA-NI at run time (cpufeatures).
//!
//! Unlike the wasm ABI (static buffers, one thread), every call takes an
//! explicit handle and caller-owned buffers, and each handle owns all its
//! mutable state (key ring, raw-token scratch, randomness pool). Node's
//! worker threads each create their own handles (an N-API external belongs
//! to one environment), so no state is shared between threads.
//!
//! Return codes are the wasm ABI's: >= 0 success, -1..-6 `OpenError`,
//! -7 token too long, -8 bad argument; plus -9: the OS gave no randomness.
#![deny(unsafe_op_in_unsafe_fn)]

use core::slice;
use std::alloc::{GlobalAlloc, Layout, System};

use wasm_session_core::b64;
use wasm_session_core::format::{self, IV_LEN, RAW_MAX, VALUE_MAX};
use wasm_session_core::ids::{ID_BYTES, ID_LEN};
use wasm_session_core::{Key, Ring};
use zeroize::Zeroize;

const BAD_ARG: i32 = -8;

/// The system allocator, zeroing every block before it is freed: key rings
/// (`Vec<Key>`) and handles live on the heap, and not every part of a key
/// is zeroed by its own `Drop` (aes' AES-NI/soft union leaves the unused
/// tail as it was). Allocations happen only when codecs are created and
/// freed, never per seal/open, so the cost is nil.
struct ZeroOnFree;

/// Volatile zeroing of `len` bytes at `ptr`.
///
/// # Safety
/// `ptr` is valid for writes of `len` bytes.
unsafe fn wipe(ptr: *mut u8, len: usize) {
    // SAFETY: caller contract.
    unsafe { slice::from_raw_parts_mut(ptr, len) }.zeroize();
}

// SAFETY: delegates to `System`; only adds a wipe before `dealloc`.
unsafe impl GlobalAlloc for ZeroOnFree {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract.
        unsafe { System.alloc_zeroed(layout) }
    }
    // `realloc` keeps the default (alloc, copy, dealloc), so moved-from
    // blocks are wiped too.
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` is a live block of `layout.size()` bytes.
        unsafe {
            wipe(ptr, layout.size());
            System.dealloc(ptr, layout)
        }
    }
}

#[global_allocator]
static ALLOC: ZeroOnFree = ZeroOnFree;
/// getrandom(2) failed.
pub const NO_ENTROPY: i32 = -9;

/// OS random bytes fetched per getrandom(2) call: 64 IVs or IDs.
const POOL_LEN: usize = 1024;

/// Bytes straight from the OS, drawn in batches (one syscall per 64 IVs
/// instead of one per seal); every byte is used once and zeroed when taken.
struct Pool {
    buf: [u8; POOL_LEN],
    pos: usize,
}

impl Pool {
    fn take(&mut self, out: &mut [u8]) -> Result<(), getrandom::Error> {
        debug_assert!(out.len() <= POOL_LEN);
        if POOL_LEN - self.pos < out.len() {
            getrandom::getrandom(&mut self.buf)?;
            self.pos = 0;
        }
        let src = &mut self.buf[self.pos..self.pos + out.len()];
        out.copy_from_slice(src);
        src.zeroize();
        self.pos += out.len();
        Ok(())
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.buf.zeroize();
    }
}

/// One codec's native state.
pub struct Handle {
    ring: Ring,
    scratch: [u8; RAW_MAX],
    pool: Pool,
}

impl Drop for Handle {
    fn drop(&mut self) {
        // The ring's keys zero themselves (aes/zeroize, wiped MAC state).
        self.scratch.zeroize();
    }
}

/// A new handle with an empty key ring. Free it with `wsn_handle_free`.
#[no_mangle]
pub extern "C" fn wsn_handle_new() -> *mut Handle {
    Box::into_raw(Box::new(Handle {
        ring: Ring::new(),
        scratch: [0; RAW_MAX],
        // Empty: filled on first use.
        pool: Pool { buf: [0; POOL_LEN], pos: POOL_LEN },
    }))
}

/// Zeroes and frees the handle (null is a no-op).
///
/// # Safety
/// `h` is null or from `wsn_handle_new`, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn wsn_handle_free(h: *mut Handle) {
    if !h.is_null() {
        // SAFETY: caller contract.
        drop(unsafe { Box::from_raw(h) });
    }
}

/// # Safety
/// `ptr` is valid for `len` bytes (or `len` is 0).
unsafe fn bytes<'a>(ptr: *const u8, len: usize) -> &'a [u8] {
    if len == 0 {
        &[]
    } else {
        // SAFETY: caller contract.
        unsafe { slice::from_raw_parts(ptr, len) }
    }
}

/// # Safety
/// `ptr` is valid for writes of `len` bytes (or `len` is 0).
unsafe fn bytes_mut<'a>(ptr: *mut u8, len: usize) -> &'a mut [u8] {
    if len == 0 {
        &mut []
    } else {
        // SAFETY: caller contract.
        unsafe { slice::from_raw_parts_mut(ptr, len) }
    }
}

/// Derives the key for (secret, cookie name) and appends it to the ring;
/// returns its index (0 seals) or -8. The caller wipes its secret copy.
///
/// # Safety
/// `h` is a live handle; pointers are valid for their lengths.
#[no_mangle]
pub unsafe extern "C" fn wsn_add_key(
    h: *mut Handle,
    secret: *const u8,
    secret_len: usize,
    name: *const u8,
    name_len: usize,
) -> i32 {
    // SAFETY: caller contract.
    let h = match unsafe { h.as_mut() } {
        Some(h) => h,
        None => return BAD_ARG,
    };
    // SAFETY: caller contract.
    let key = unsafe { Key::derive(bytes(secret, secret_len), bytes(name, name_len)) };
    i32::try_from(h.ring.push(key)).unwrap_or(BAD_ARG)
}

/// Seals `value` with the ring's first key into `out` (ASCII token);
/// returns the token length, -7 past 4096 chars, -8 for a bad handle, an
/// empty ring or a short `out`, -9 without OS randomness. `iv` is null
/// (fresh random IV) or 16 bytes (fixed vectors, tests).
///
/// # Safety
/// `h` is a live handle; pointers are valid for their lengths.
#[no_mangle]
pub unsafe extern "C" fn wsn_seal(
    h: *mut Handle,
    value: *const u8,
    value_len: usize,
    issued_at: f64,
    iv: *const u8,
    out: *mut u8,
    out_cap: usize,
) -> i32 {
    // SAFETY: caller contract.
    let h = match unsafe { h.as_mut() } {
        Some(h) => h,
        None => return BAD_ARG,
    };
    let key = match h.ring.primary() {
        Some(k) => k,
        None => return BAD_ARG,
    };
    if value_len > VALUE_MAX {
        return format::SealError::TooLong as i32;
    }
    let mut ivb = [0u8; IV_LEN];
    if iv.is_null() {
        if h.pool.take(&mut ivb).is_err() {
            return NO_ENTROPY;
        }
    } else {
        // SAFETY: caller contract (16 bytes).
        ivb.copy_from_slice(unsafe { bytes(iv, IV_LEN) });
    }
    // SAFETY: caller contract.
    let (value, out) = unsafe { (bytes(value, value_len), bytes_mut(out, out_cap)) };
    // As in the wasm ABI: `as u64` saturates (NaN, negatives -> 0), drops fractions.
    match format::seal(key, &ivb, issued_at as u64, value, &mut h.scratch, out) {
        Ok(n) => n as i32,
        Err(e) => e as i32,
    }
}

/// Opens `token` into `out`; returns the value length and sets
/// `*issued_at` (ms) and `*key_index`, or returns -1..-6 (`OpenError`),
/// -8 for a bad handle or an empty ring. `max_age_s < 0` = no age check.
///
/// # Safety
/// `h` is a live handle; pointers are valid for their lengths;
/// `issued_at`, `key_index` are writable.
#[no_mangle]
pub unsafe extern "C" fn wsn_open(
    h: *mut Handle,
    token: *const u8,
    token_len: usize,
    now: f64,
    max_age_s: f64,
    skew_ms: f64,
    out: *mut u8,
    out_cap: usize,
    issued_at: *mut f64,
    key_index: *mut i32,
) -> i32 {
    // SAFETY: caller contract.
    let h = match unsafe { h.as_mut() } {
        Some(h) if !h.ring.is_empty() => h,
        _ => return BAD_ARG,
    };
    // SAFETY: caller contract.
    let (token, out) = unsafe { (bytes(token, token_len), bytes_mut(out, out_cap)) };
    match format::open(&h.ring, token, now, max_age_s, skew_ms, &mut h.scratch, out) {
        Ok(o) => {
            // SAFETY: caller contract.
            unsafe {
                *issued_at = o.issued_at as f64;
                *key_index = o.key_index as i32;
            }
            o.value_len as i32
        }
        Err(e) => e as i32,
    }
}

/// Writes `out_cap / 22` session IDs (128 OS-random bits each, base64url)
/// back to back into `out`; returns the number of bytes written, or -9.
///
/// # Safety
/// `h` is a live handle; `out` is valid for `out_cap` bytes.
#[no_mangle]
pub unsafe extern "C" fn wsn_new_ids(h: *mut Handle, out: *mut u8, out_cap: usize) -> i32 {
    // SAFETY: caller contract.
    let h = match unsafe { h.as_mut() } {
        Some(h) => h,
        None => return BAD_ARG,
    };
    // SAFETY: caller contract.
    let out = unsafe { bytes_mut(out, out_cap) };
    let mut raw = [0u8; ID_BYTES];
    let mut n = 0;
    for id in out.chunks_exact_mut(ID_LEN) {
        if h.pool.take(&mut raw).is_err() {
            raw.zeroize();
            return NO_ENTROPY;
        }
        // Secret bytes: the constant-time encoder, as in ids.rs.
        let _ = b64::encode_secret(&raw, id);
        n += ID_LEN;
    }
    raw.zeroize();
    i32::try_from(n).unwrap_or(BAD_ARG)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"native-glue-test-secret-0123456789abcdef";

    fn handle() -> *mut Handle {
        let h = wsn_handle_new();
        let r = unsafe { wsn_add_key(h, SECRET.as_ptr(), SECRET.len(), b"sid".as_ptr(), 3) };
        assert_eq!(r, 0);
        h
    }

    #[test]
    fn seal_open_round_trip() {
        let h = handle();
        let mut tok = [0u8; 4096];
        let n = unsafe { wsn_seal(h, b"hello".as_ptr(), 5, 1234.0, core::ptr::null(), tok.as_mut_ptr(), tok.len()) };
        assert_eq!(n as usize, format::token_len(5));
        let (mut out, mut at, mut ki) = ([0u8; 64], 0f64, -1i32);
        let m = unsafe { wsn_open(h, tok.as_ptr(), n as usize, 2000.0, -1.0, 0.0, out.as_mut_ptr(), out.len(), &mut at, &mut ki) };
        assert_eq!(&out[..m as usize], b"hello");
        assert_eq!((at, ki), (1234.0, 0));
        tok[10] ^= 1;
        let bad = unsafe { wsn_open(h, tok.as_ptr(), n as usize, 2000.0, -1.0, 0.0, out.as_mut_ptr(), out.len(), &mut at, &mut ki) };
        assert!(bad < 0);
        unsafe { wsn_handle_free(h) };
    }

    #[test]
    fn ivs_and_ids_differ() {
        let h = handle();
        let (mut a, mut b) = ([0u8; 128], [0u8; 128]);
        let na = unsafe { wsn_seal(h, b"x".as_ptr(), 1, 0.0, core::ptr::null(), a.as_mut_ptr(), a.len()) };
        let nb = unsafe { wsn_seal(h, b"x".as_ptr(), 1, 0.0, core::ptr::null(), b.as_mut_ptr(), b.len()) };
        assert_eq!(na, nb);
        assert_ne!(a[..na as usize], b[..nb as usize]);
        let mut ids = [0u8; ID_LEN * 200];
        assert_eq!(unsafe { wsn_new_ids(h, ids.as_mut_ptr(), ids.len()) }, (ID_LEN * 200) as i32);
        let mut seen: Vec<&[u8]> = ids.chunks(ID_LEN).collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 200);
        unsafe { wsn_handle_free(h) };
    }

    #[test]
    fn bad_arguments() {
        let empty = wsn_handle_new();
        let mut out = [0u8; 256];
        assert_eq!(unsafe { wsn_seal(empty, b"x".as_ptr(), 1, 0.0, core::ptr::null(), out.as_mut_ptr(), out.len()) }, BAD_ARG);
        assert_eq!(unsafe { wsn_seal(core::ptr::null_mut(), b"x".as_ptr(), 1, 0.0, core::ptr::null(), out.as_mut_ptr(), out.len()) }, BAD_ARG);
        unsafe { wsn_handle_free(empty) };
        let h = handle();
        let big = [0u8; VALUE_MAX + 1];
        let mut tok = [0u8; 8192];
        assert_eq!(unsafe { wsn_seal(h, big.as_ptr(), big.len(), 0.0, core::ptr::null(), tok.as_mut_ptr(), tok.len()) }, -7);
        unsafe { wsn_handle_free(h) };
    }

    /// What `wsn_handle_free` does to each key: its own drop (aes and
    /// the MAC state zero themselves), then the allocator's wipe of the
    /// block. Together they leave nothing: aes' union of backends has an
    /// unused tail under AES-NI that its drop does not touch.
    #[test]
    fn freed_keys_are_zeroed() {
        use std::alloc::{GlobalAlloc, Layout, System};
        let layout = Layout::new::<Key>();
        unsafe {
            let p = System.alloc(layout) as *mut Key;
            p.write(Key::derive(SECRET, b"sid"));
            let raw = slice::from_raw_parts(p as *const u8, layout.size());
            assert!(raw.iter().filter(|&&b| b != 0).count() > 64);
            core::ptr::drop_in_place(p);
            wipe(p as *mut u8, layout.size());
            let raw = slice::from_raw_parts(p as *const u8, layout.size());
            assert!(raw.iter().all(|&b| b == 0));
            System.dealloc(p as *mut u8, layout);
        }
    }
}
