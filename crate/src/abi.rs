//! The `.wasm` module's interface: `extern "C"` functions over two static
//! buffers in linear memory (no wasm-bindgen, no WASI). The only import is
//! `env.ws_random(ptr, len)`.
//!
//! Calls pass lengths; the bytes travel through INPUT (JS writes, Rust
//! reads) and OUTPUT (Rust writes, JS reads), whose addresses JS fetches
//! once with `ws_in_ptr` / `ws_out_ptr`. Return codes: >= 0 success, -1..-6
//! the `OpenError` reasons, -7 token too long, -8 bad argument (ring
//! handle, length, index).
//!
//! WebAssembly here is single-threaded and these functions are not
//! reentrant (none calls back into JS except `ws_random`, which does not
//! re-enter), so the globals below are never aliased. Natively (tests) the
//! same holds as long as one thread drives the ABI.

use core::cell::UnsafeCell;

use crate::format::{self, RAW_MAX};
use crate::ids::{self, ID_LEN};
use crate::keys::{Key, Ring};
use crate::rng::{Generator, HostEntropy};

/// INPUT buffer size.
pub const IN_CAP: usize = 8192;
/// OUTPUT buffer size.
pub const OUT_CAP: usize = 8192;
/// Most IDs per `ws_new_ids` call (372 * 22 = 8184 <= OUT_CAP).
pub const IDS_MAX: u32 = (OUT_CAP / ID_LEN) as u32;

const BAD_ARG: i32 = -8;

/// A static whose single-threaded use is argued in the module docs.
struct Global<T>(UnsafeCell<T>);

// SAFETY: see the module docs; there is one thread.
unsafe impl<T> Sync for Global<T> {}

#[repr(C, align(16))]
struct Buffer<const N: usize>([u8; N]);

static INPUT: Global<Buffer<IN_CAP>> = Global(UnsafeCell::new(Buffer([0; IN_CAP])));
static OUTPUT: Global<Buffer<OUT_CAP>> = Global(UnsafeCell::new(Buffer([0; OUT_CAP])));

struct State {
    /// Ring handle h is `rings[h - 1]`; freed slots are reused.
    rings: Vec<Option<Ring>>,
    rng: Generator<HostEntropy>,
    /// Raw-token workspace for seal/open (static: no 3 KiB stack memset
    /// per call).
    scratch: [u8; RAW_MAX],
    opened_issued_at: f64,
    opened_key_index: i32,
}

static STATE: Global<State> = Global(UnsafeCell::new(State {
    rings: Vec::new(),
    rng: Generator::new(HostEntropy),
    scratch: [0; RAW_MAX],
    opened_issued_at: 0.0,
    opened_key_index: -1,
}));

// Each export takes these references once, at its top, and never holds
// two `&mut` to the same global.
fn state() -> &'static mut State {
    // SAFETY: single-threaded, non-reentrant (module docs).
    unsafe { &mut *STATE.0.get() }
}

fn input() -> &'static mut [u8; IN_CAP] {
    // SAFETY: as for `state`.
    unsafe { &mut (*INPUT.0.get()).0 }
}

fn output() -> &'static mut [u8; OUT_CAP] {
    // SAFETY: as for `state`.
    unsafe { &mut (*OUTPUT.0.get()).0 }
}

fn ring_mut(rings: &mut [Option<Ring>], handle: u32) -> Option<&mut Ring> {
    let i = (handle as usize).checked_sub(1)?;
    rings.get_mut(i)?.as_mut()
}

/// Non-empty ring for `handle`.
fn usable_ring(rings: &[Option<Ring>], handle: u32) -> Option<&Ring> {
    let i = (handle as usize).checked_sub(1)?;
    rings.get(i)?.as_ref().filter(|r| !r.is_empty())
}

/// Full-width INPUT address, for native tests (`ws_in_ptr` is u32 as on
/// wasm32 and truncates on 64-bit hosts).
#[doc(hidden)]
pub fn input_ptr() -> *mut u8 {
    input().as_mut_ptr()
}

/// Full-width OUTPUT address, for native tests.
#[doc(hidden)]
pub fn output_ptr() -> *const u8 {
    output().as_ptr()
}

/// Address of the INPUT buffer (`IN_CAP` bytes).
#[no_mangle]
pub extern "C" fn ws_in_ptr() -> u32 {
    input().as_ptr() as usize as u32
}

/// Address of the OUTPUT buffer (`OUT_CAP` bytes).
#[no_mangle]
pub extern "C" fn ws_out_ptr() -> u32 {
    output().as_ptr() as usize as u32
}

/// Creates an empty key ring; returns its handle (> 0).
#[no_mangle]
pub extern "C" fn ws_ring_new() -> u32 {
    let rings = &mut state().rings;
    let slot = match rings.iter().position(Option::is_none) {
        Some(i) => i,
        None => {
            rings.push(None);
            rings.len() - 1
        }
    };
    rings[slot] = Some(Ring::new());
    (slot + 1) as u32
}

/// INPUT = secret bytes, then cookie-name bytes. Derives the key, appends
/// it to the ring and returns its index (0 seals), or -8. The secret is
/// wiped from INPUT afterwards.
#[no_mangle]
pub extern "C" fn ws_ring_add(ring: u32, secret_len: u32, name_len: u32) -> i32 {
    let st = state();
    let r = match ring_mut(&mut st.rings, ring) {
        Some(r) => r,
        None => return BAD_ARG,
    };
    let (s, n) = (secret_len as usize, name_len as usize);
    let end = match s.checked_add(n) {
        Some(end) if end <= IN_CAP => end,
        _ => return BAD_ARG,
    };
    let inp = input();
    let key = Key::derive(&inp[..s], &inp[s..end]);
    zeroize::Zeroize::zeroize(&mut inp[..s]);
    match i32::try_from(r.push(key)) {
        Ok(i) => i,
        Err(_) => BAD_ARG,
    }
}

/// The kid (0..=255) of key `index` of the ring, or -8.
#[no_mangle]
pub extern "C" fn ws_ring_kid(ring: u32, index: u32) -> i32 {
    match ring_mut(&mut state().rings, ring).and_then(|r| r.get(index as usize)) {
        Some(k) => i32::from(k.kid()),
        None => BAD_ARG,
    }
}

/// Zeroizes and drops the ring (no-op for an unknown handle).
#[no_mangle]
pub extern "C" fn ws_ring_free(ring: u32) {
    let rings = &mut state().rings;
    if let Some(slot) = (ring as usize).checked_sub(1).and_then(|i| rings.get_mut(i)) {
        // Dropping the keys zeroes them (aes/zeroize, Wiped MAC state).
        *slot = None;
    }
    while let Some(None) = rings.last() {
        rings.pop();
    }
}

fn seal_common(ring: u32, value_len: u32, issued_at: f64, fixed_iv: bool) -> i32 {
    let st = state();
    let key = match usable_ring(&st.rings, ring).and_then(Ring::primary) {
        Some(k) => k,
        None => return BAD_ARG,
    };
    let vlen = value_len as usize;
    let inp = input();
    let mut iv = [0u8; format::IV_LEN];
    if fixed_iv {
        match inp.get(vlen..).and_then(|t| t.get(..format::IV_LEN)) {
            Some(b) => iv.copy_from_slice(b),
            None => return BAD_ARG,
        }
    } else if vlen > IN_CAP {
        return BAD_ARG;
    }
    let value = &inp[..vlen];
    if vlen > format::VALUE_MAX {
        return format::SealError::TooLong as i32;
    }
    if !fixed_iv {
        st.rng.generate(&mut iv, 1);
    }
    // `as u64` saturates (NaN and negatives -> 0) and drops fractions.
    let issued = issued_at as u64;
    match format::seal(key, &iv, issued, value, &mut st.scratch, output()) {
        Ok(n) => n as i32,
        Err(e) => e as i32,
    }
}

/// Seals INPUT[..value_len] with the ring's first key and a fresh IV;
/// writes the token to OUTPUT and returns its length; -7 if it would
/// exceed 4096 chars; -8 for a bad/empty ring or value_len > IN_CAP.
#[no_mangle]
pub extern "C" fn ws_seal(ring: u32, value_len: u32, issued_at: f64) -> i32 {
    seal_common(ring, value_len, issued_at, false)
}

/// As `ws_seal`, with the IV read from INPUT[value_len..value_len + 16]
/// (fixed vectors and cross-backend tests only).
#[no_mangle]
pub extern "C" fn ws_seal_iv(ring: u32, value_len: u32, issued_at: f64) -> i32 {
    seal_common(ring, value_len, issued_at, true)
}

/// Opens the token in INPUT[..token_len]; on success writes the value to
/// OUTPUT and returns its length, else -1..-6 (see `OpenError`) or -8 for
/// a bad/empty ring. `max_age_s < 0` disables the age check.
#[no_mangle]
pub extern "C" fn ws_open(ring: u32, token_len: u32, now: f64, max_age_s: f64, skew_ms: f64) -> i32 {
    let st = state();
    let r = match usable_ring(&st.rings, ring) {
        Some(r) => r,
        None => return BAD_ARG,
    };
    let token = match input().get(..token_len as usize) {
        Some(t) => t,
        None => return format::OpenError::Malformed as i32,
    };
    match format::open(r, token, now, max_age_s, skew_ms, &mut st.scratch, output()) {
        Ok(o) => {
            st.opened_issued_at = o.issued_at as f64;
            st.opened_key_index = o.key_index as i32;
            o.value_len as i32
        }
        Err(e) => e as i32,
    }
}

/// issuedAt (ms) of the last token that opened.
#[no_mangle]
pub extern "C" fn ws_opened_issued_at() -> f64 {
    state().opened_issued_at
}

/// Ring index of the key that opened the last token (-1 before any).
#[no_mangle]
pub extern "C" fn ws_opened_key_index() -> i32 {
    state().opened_key_index
}

/// Writes `n` (<= 372) session IDs of 22 chars back to back to OUTPUT;
/// returns n * 22, or -8.
#[no_mangle]
pub extern "C" fn ws_new_ids(n: u32) -> i32 {
    if n > IDS_MAX {
        return BAD_ARG;
    }
    let len = n as usize * ID_LEN;
    let written = ids::fill_ids(&mut state().rng, &mut output()[..len]);
    (written * ID_LEN) as i32
}
