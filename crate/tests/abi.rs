//! The extern "C" surface, driven natively the way the JS loader drives
//! the .wasm module. One #[test]: the ABI's globals assume one thread.

use wasm_session_core::abi::*;

fn inp() -> &'static mut [u8] {
    unsafe { std::slice::from_raw_parts_mut(input_ptr(), IN_CAP) }
}
fn out() -> &'static [u8] {
    unsafe { std::slice::from_raw_parts(output_ptr(), OUT_CAP) }
}

fn add(ring: u32, secret: &[u8], name: &[u8]) -> i32 {
    inp()[..secret.len()].copy_from_slice(secret);
    inp()[secret.len()..secret.len() + name.len()].copy_from_slice(name);
    ws_ring_add(ring, secret.len() as u32, name.len() as u32)
}

fn open(ring: u32, token: &[u8], now: f64, max_age: f64) -> i32 {
    inp()[..token.len()].copy_from_slice(token);
    ws_open(ring, token.len() as u32, now, max_age, 60_000.0)
}

#[test]
fn abi() {
    // The u32 pointers are the low bits of the real addresses.
    assert_eq!(ws_in_ptr(), input_ptr() as usize as u32);
    assert_eq!(ws_out_ptr(), output_ptr() as usize as u32);
    let ring = ws_ring_new();
    assert!(ring > 0);
    assert_eq!(ws_seal(ring, 1, 0.0), -8, "empty ring");
    assert_eq!(add(ring, b"0123456789abcdef0123456789abcdef", b"sid"), 0);
    assert!(inp()[..32].iter().all(|&b| b == 0), "secret wiped from INPUT");
    assert_eq!(ws_ring_kid(ring, 0), 93);
    assert_eq!(ws_ring_kid(ring, 1), -8);
    assert_eq!(ws_ring_kid(ring + 100, 0), -8);
    assert_eq!(ws_ring_add(ring, 8000, 193), -8);
    assert_eq!(ws_ring_add(0, 1, 1), -8);

    // Fixed vector through ws_seal_iv.
    inp()[..5].copy_from_slice(b"hello");
    for i in 0..16 {
        inp()[5 + i] = i as u8;
    }
    let n = ws_seal_iv(ring, 5, 1_700_000_000_000.0);
    let token = out()[..n as usize].to_vec();
    assert_eq!(
        token,
        b"AV0AAQIDBAUGBwgJCgsMDQ4PrIcPK94ybZdDHF3Vu1JCL42itVFsIkkX1BZ7aLt8JuR0dDGrcBM6fCeVNcEb"
    );
    assert_eq!(ws_seal_iv(ring, 8180, 0.0), -8, "IV past INPUT");
    assert_eq!(ws_seal_iv(ring, 3015, 0.0), -7);

    let now = 1_700_000_001_000.0;
    assert_eq!(open(ring, &token, now, 3600.0), 5);
    assert_eq!(&out()[..5], b"hello");
    assert_eq!(ws_opened_issued_at(), 1_700_000_000_000.0);
    assert_eq!(ws_opened_key_index(), 0);
    assert_eq!(open(ring, &token, now + 4e6, 3600.0), -5);
    assert_eq!(open(ring, &token, 1_600_000_000_000.0, 3600.0), -6);
    assert_eq!(open(ring, b"", now, 1.0), -1);
    assert_eq!(ws_open(ring, IN_CAP as u32 + 1, now, 1.0, 0.0), -1);
    assert_eq!(ws_open(ring, 5000, now, 1.0, 0.0), -1);
    assert_eq!(ws_open(999, 5, now, 1.0, 0.0), -8);

    // Random-IV seals, rotation through the ABI.
    inp()[..30].copy_from_slice(&[b'x'; 30]);
    let n1 = ws_seal(ring, 30, now);
    assert_eq!(n1 as usize, (4 * (58 + 30) + 2) / 3);
    let t1 = out()[..n1 as usize].to_vec();
    inp()[..30].copy_from_slice(&[b'x'; 30]);
    let n2 = ws_seal(ring, 30, now);
    assert_ne!(t1, out()[..n2 as usize].to_vec(), "fresh IV per seal");
    assert_eq!(ws_seal(ring, 3015, now), -7);
    assert_eq!(ws_seal(ring, IN_CAP as u32 + 1, now), -8);
    assert_eq!(ws_seal(ring, 3014, now), 4096);

    let rotated = ws_ring_new();
    assert_eq!(add(rotated, b"a brand new secret", b"sid"), 0);
    assert_eq!(add(rotated, b"0123456789abcdef0123456789abcdef", b"sid"), 1);
    assert_eq!(open(rotated, &t1, now, -1.0), 30);
    assert_eq!(ws_opened_key_index(), 1);
    let other = ws_ring_new();
    assert_eq!(add(other, b"0123456789abcdef0123456789abcdef", b"other"), 0);
    assert!(matches!(open(other, &t1, now, -1.0), -3 | -4));

    // IDs.
    assert_eq!(ws_new_ids(0), 0);
    assert_eq!(ws_new_ids(373), -8);
    assert_eq!(ws_new_ids(372), 372 * 22);
    let ids = out()[..372 * 22].to_vec();
    assert!(ids.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
    assert_eq!(ws_new_ids(1), 22);
    assert!(!ids.chunks(22).any(|id| id == &out()[..22]));

    // Free: the handle stops working and is reused.
    ws_ring_free(rotated);
    assert_eq!(open(rotated, &t1, now, -1.0), -8);
    assert_eq!(ws_ring_kid(rotated, 0), -8);
    ws_ring_free(rotated);
    ws_ring_free(0);
    let again = ws_ring_new();
    assert_eq!(again, rotated);
    assert_eq!(ws_ring_kid(again, 0), -8, "reused handle starts empty");
}
