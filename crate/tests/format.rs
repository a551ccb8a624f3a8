//! Token format v1: round trips, lengths, every failure reason in its
//! order, rotation, kid collisions, and robustness on junk input.

use wasm_session_core::b64;
use wasm_session_core::format::{self, token_len, OVERHEAD, RAW_MAX, TOKEN_MAX, VALUE_MAX};
use wasm_session_core::{Key, OpenError, Ring};

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
const T0: u64 = 1_700_000_000_000;
const IV: [u8; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
const NOW: f64 = T0 as f64 + 1000.0;
const NO_MAX_AGE: f64 = -1.0;
const SKEW: f64 = 60_000.0;

fn ring(keys: &[(&[u8], &[u8])]) -> Ring {
    let mut r = Ring::new();
    for (secret, name) in keys {
        r.push(Key::derive(secret, name));
    }
    r
}

fn seal_with(r: &Ring, iv: &[u8; 16], issued_at: u64, value: &[u8]) -> String {
    let mut scratch = Box::new([0u8; RAW_MAX]);
    let mut out = vec![0u8; TOKEN_MAX];
    let n = format::seal(r.primary().unwrap(), iv, issued_at, value, &mut scratch, &mut out).unwrap();
    String::from_utf8(out[..n].to_vec()).unwrap()
}

fn seal(r: &Ring, value: &[u8]) -> String {
    seal_with(r, &IV, T0, value)
}

fn open_at(r: &Ring, token: &[u8], now: f64, max_age_s: f64) -> Result<(Vec<u8>, format::Opened), OpenError> {
    let mut scratch = Box::new([0u8; RAW_MAX]);
    let mut out = vec![0u8; 8192];
    let o = format::open(r, token, now, max_age_s, SKEW, &mut scratch, &mut out)?;
    Ok((out[..o.value_len].to_vec(), o))
}

fn open(r: &Ring, token: &[u8]) -> Result<Vec<u8>, OpenError> {
    open_at(r, token, NOW, NO_MAX_AGE).map(|(v, _)| v)
}

fn raw_of(token: &str) -> Vec<u8> {
    let mut raw = vec![0u8; RAW_MAX];
    let n = b64::decode(token.as_bytes(), &mut raw).unwrap();
    raw.truncate(n);
    raw
}

fn token_of(raw: &[u8]) -> String {
    let mut out = vec![0u8; raw.len() * 2 + 4];
    let n = b64::encode(raw, &mut out).unwrap();
    String::from_utf8(out[..n].to_vec()).unwrap()
}

fn sid() -> Ring {
    ring(&[(SECRET, b"sid")])
}

#[test]
fn fixed_vector() {
    // Cross-checked against an independent node:crypto implementation
    // (createHmac/hkdfSync, createCipheriv("aes-256-cfb")).
    let r = sid();
    assert_eq!(r.primary().unwrap().kid(), 93);
    let token = seal(&r, b"hello");
    assert_eq!(token, "AV0AAQIDBAUGBwgJCgsMDQ4PrIcPK94ybZdDHF3Vu1JCL42itVFsIkkX1BZ7aLt8JuR0dDGrcBM6fCeVNcEb");
    assert_eq!(open(&r, token.as_bytes()).unwrap(), b"hello");
}

#[test]
fn round_trip_and_length() {
    let r = sid();
    for &len in &[0usize, 1, 15, 16, 17, 30, 3000, VALUE_MAX] {
        let value: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
        let token = seal(&r, &value);
        assert_eq!(token.len(), token_len(len));
        assert_eq!(token.len(), (4 * (58 + len) + 2) / 3, "len {len}");
        assert_eq!(raw_of(&token).len(), OVERHEAD + len);
        assert!(token.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        let (got, opened) = open_at(&r, token.as_bytes(), NOW, 3600.0).unwrap();
        assert_eq!(got, value, "len {len}");
        assert_eq!(opened.issued_at, T0);
        assert_eq!(opened.key_index, 0);
    }
    assert_eq!(OVERHEAD, 58);
    assert_eq!(VALUE_MAX, 3014);
    assert_eq!(token_len(VALUE_MAX), 4096);
}

#[test]
fn seal_refuses_values_over_the_token_limit() {
    let r = sid();
    let mut scratch = Box::new([0u8; RAW_MAX]);
    let mut out = vec![0u8; 8192];
    let key = r.primary().unwrap();
    let big = vec![0u8; VALUE_MAX + 1];
    assert_eq!(token_len(big.len()), 4098);
    assert_eq!(format::seal(key, &IV, T0, &big, &mut scratch, &mut out), Err(format::SealError::TooLong));
    assert_eq!(
        format::seal(key, &IV, T0, b"x", &mut scratch, &mut out[..10]),
        Err(format::SealError::BufferTooSmall)
    );
}

#[test]
fn distinct_ivs_give_distinct_tokens() {
    let r = sid();
    let a = seal_with(&r, &[1; 16], T0, b"v");
    let b = seal_with(&r, &[2; 16], T0, b"v");
    assert_ne!(a, b);
    assert_eq!(open(&r, a.as_bytes()).unwrap(), b"v");
    assert_eq!(open(&r, b.as_bytes()).unwrap(), b"v");
}

#[test]
fn malformed() {
    let r = sid();
    let good = seal(&r, b"");
    assert_eq!(good.len(), 78); // 58 raw bytes: 58 % 3 == 1, last char has 4 unused bits
    let m = Err(OpenError::Malformed);

    assert_eq!(open(&r, b""), m, "empty");
    for bad in [b'.', b'+', b'/', b' ', b'=', b'\n', 0x80, 0] {
        let mut t = good.clone().into_bytes();
        t[10] = bad;
        assert_eq!(open(&r, &t), m, "bad char {bad:#x}");
    }
    assert_eq!(open(&r, format!("{good}==").as_bytes()), m, "padding");
    assert_eq!(open(&r, format!("{good}=").as_bytes()), m, "padding");
    let mut t = good.clone().into_bytes();
    t[77] = b'=';
    assert_eq!(open(&r, &t), m, "padding replacing last char");

    // Non-canonical last char: same decoded bytes, nonzero unused bits.
    let last = good.as_bytes()[77];
    const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let idx = ALPHA.iter().position(|&c| c == last).unwrap();
    assert_eq!(idx & 0xf, 0);
    for low in 1..16 {
        let mut t = good.clone().into_bytes();
        t[77] = ALPHA[idx | low];
        assert_eq!(open(&r, &t), m, "non-canonical low bits {low}");
    }
    // Same with 2 unused bits (raw length % 3 == 2).
    let good2 = seal(&r, b"x");
    assert_eq!((OVERHEAD + 1) % 3, 2);
    let n = good2.len() - 1;
    let idx = ALPHA.iter().position(|&c| c == good2.as_bytes()[n]).unwrap();
    for low in 1..4 {
        let mut t = good2.clone().into_bytes();
        t[n] = ALPHA[idx | low];
        assert_eq!(open(&r, &t), m, "non-canonical (2 bits) {low}");
    }

    // Truncations: every shorter prefix fails; below 58 raw bytes or
    // len % 4 == 1 it is malformed, otherwise the tag no longer matches.
    for cut in 0..good.len() {
        let t = &good.as_bytes()[..cut];
        let want = if cut <= 76 || cut % 4 == 1 { OpenError::Malformed } else { OpenError::BadTag };
        assert_eq!(open(&r, t), Err(want), "truncated to {cut}");
    }
    assert_eq!(open(&r, &good.as_bytes()[..76]), m, "57 raw bytes");

    // Length cap before decoding: 4097 valid characters are malformed,
    // 4096 decode (and then fail on the version byte).
    assert_eq!(open(&r, &vec![b'A'; 4097]), m, "too long");
    assert_eq!(open(&r, &vec![b'A'; 4096]), Err(OpenError::UnsupportedVersion));
    let long = seal(&r, &vec![7u8; VALUE_MAX]);
    assert_eq!(open(&r, format!("{long}A").as_bytes()), m, "too long, valid prefix");
}

#[test]
fn unsupported_version_and_unknown_key() {
    let r = sid();
    let raw = raw_of(&seal(&r, b"hello"));
    for v in [0u8, 2, 0x81, 0xff] {
        let mut x = raw.clone();
        x[0] = v;
        assert_eq!(open(&r, token_of(&x).as_bytes()), Err(OpenError::UnsupportedVersion));
    }
    // Version is checked before the kid.
    let mut x = raw.clone();
    x[0] = 2;
    x[1] ^= 0xff;
    assert_eq!(open(&r, token_of(&x).as_bytes()), Err(OpenError::UnsupportedVersion));
    let mut x = raw.clone();
    x[1] ^= 0x40;
    assert_eq!(open(&r, token_of(&x).as_bytes()), Err(OpenError::UnknownKey));
}

#[test]
fn every_single_bit_flip_fails() {
    let r = sid();
    for value in [&b""[..], b"hello", &[0x5a; 40]] {
        let raw = raw_of(&seal(&r, value));
        for bit in 0..raw.len() * 8 {
            let mut x = raw.clone();
            x[bit / 8] ^= 1 << (bit % 8);
            let want = match bit / 8 {
                0 => OpenError::UnsupportedVersion,
                1 => OpenError::UnknownKey,
                _ => OpenError::BadTag,
            };
            assert_eq!(open(&r, token_of(&x).as_bytes()), Err(want), "bit {bit}");
        }
    }
}

#[test]
fn expired_and_future() {
    let r = sid();
    let token = seal(&r, b"v");
    let t = token.as_bytes();
    let t0 = T0 as f64;
    let got = |now, max_age| open_at(&r, t, now, max_age).map(|(v, _)| v);
    // Age: expired once now - issuedAt >= maxAge * 1000.
    assert_eq!(got(t0 + 3_599_999.0, 3600.0).unwrap(), b"v");
    assert_eq!(got(t0 + 3_600_000.0, 3600.0), Err(OpenError::Expired));
    assert_eq!(got(t0, 0.0), Err(OpenError::Expired));
    assert_eq!(got(t0 + 1e12, NO_MAX_AGE).unwrap(), b"v");
    assert_eq!(got(t0 + 1e12, -0.5).unwrap(), b"v");
    assert_eq!(got(t0 + 1499.0, 1.5).unwrap(), b"v");
    assert_eq!(got(t0 + 1500.0, 1.5), Err(OpenError::Expired));
    // Future: issuedAt > now + skew.
    assert_eq!(got(t0 - SKEW, 3600.0).unwrap(), b"v");
    assert_eq!(got(t0 - SKEW - 1.0, 3600.0), Err(OpenError::Future));
    // Future is checked before expiry.
    assert_eq!(got(t0 - SKEW - 1.0, 0.0), Err(OpenError::Future));
    // issuedAt far beyond 2^53 (sealed directly) compares in f64 without panicking.
    let huge = seal_with(&r, &IV, u64::MAX, b"v");
    assert_eq!(open_at(&r, huge.as_bytes(), NOW, NO_MAX_AGE).map(|(v, _)| v), Err(OpenError::Future));
}

#[test]
fn failures_leave_out_untouched() {
    let r = sid();
    let token = seal(&r, b"secret value");
    let mut scratch = Box::new([0u8; RAW_MAX]);
    let mut out = vec![0xa5u8; 64];
    let res = format::open(&r, token.as_bytes(), T0 as f64 + 10_000.0, 1.0, SKEW, &mut scratch, &mut out);
    assert_eq!(res, Err(OpenError::Expired));
    assert!(out.iter().all(|&b| b == 0xa5));
    // and the plaintext is not left in the scratch buffer either
    assert!(!scratch.windows(12).any(|w| w == b"secret value"));
    let ok = format::open(&r, token.as_bytes(), NOW, 2.0, SKEW, &mut scratch, &mut out).unwrap();
    assert_eq!(&out[..ok.value_len], b"secret value");
    assert!(!scratch.windows(12).any(|w| w == b"secret value"));
}

#[test]
fn rotation() {
    let old = ring(&[(b"old secret", b"sid")]);
    let new = ring(&[(b"new secret", b"sid")]);
    let both = ring(&[(b"new secret", b"sid"), (b"old secret", b"sid")]);
    let t_old = seal(&old, b"from old");
    let t_new = seal(&new, b"from new");
    let (v, o) = open_at(&both, t_old.as_bytes(), NOW, NO_MAX_AGE).unwrap();
    assert_eq!((v.as_slice(), o.key_index), (&b"from old"[..], 1));
    let (v, o) = open_at(&both, t_new.as_bytes(), NOW, NO_MAX_AGE).unwrap();
    assert_eq!((v.as_slice(), o.key_index), (&b"from new"[..], 0));
    // The ring seals with its first key.
    assert_eq!(open_at(&new, seal(&both, b"x").as_bytes(), NOW, NO_MAX_AGE).unwrap().1.key_index, 0);
    assert!(open(&old, seal(&both, b"x").as_bytes()).is_err());
}

#[test]
fn cookie_name_separates_keys() {
    let a = ring(&[(SECRET, b"a")]);
    let b = ring(&[(SECRET, b"b")]);
    let t = seal(&a, b"v");
    let err = open(&b, t.as_bytes()).unwrap_err();
    assert!(matches!(err, OpenError::UnknownKey | OpenError::BadTag));
    assert_eq!(open(&a, t.as_bytes()).unwrap(), b"v");
}

#[test]
fn keys_sharing_a_kid_are_all_tried_in_ring_order() {
    // Find two secrets whose kids collide (1/256 per pair).
    let mut seen = std::collections::HashMap::new();
    let (s1, s2) = (0..)
        .find_map(|i: u32| {
            let s = format!("secret-{i}");
            let kid = Key::derive(s.as_bytes(), b"sid").kid();
            seen.insert(kid, s.clone()).map(|prev| (prev, s))
        })
        .unwrap();
    let first = ring(&[(s1.as_bytes(), b"sid")]);
    let second = ring(&[(s2.as_bytes(), b"sid")]);
    let both = ring(&[(s1.as_bytes(), b"sid"), (s2.as_bytes(), b"sid")]);
    let t1 = seal(&first, b"one");
    let t2 = seal(&second, b"two");
    assert_eq!(open_at(&both, t1.as_bytes(), NOW, NO_MAX_AGE).unwrap().1.key_index, 0);
    assert_eq!(open_at(&both, t2.as_bytes(), NOW, NO_MAX_AGE).unwrap().1.key_index, 1);
    assert_eq!(open(&first, t2.as_bytes()), Err(OpenError::BadTag));
}

/// xorshift, to keep the test dependency-free and reproducible.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn junk_never_panics_or_opens() {
    let r = sid();
    let good = seal(&r, b"some session value").into_bytes();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/.";
    for i in 0..20_000 {
        let t: Vec<u8> = if i % 2 == 0 {
            // random strings, mostly from the alphabet
            let len = (rng.next() % 200) as usize;
            (0..len).map(|_| ALPHA[(rng.next() % ALPHA.len() as u64) as usize]).collect()
        } else {
            // a valid token with 1-3 characters changed
            let mut t = good.clone();
            for _ in 0..1 + rng.next() % 3 {
                let p = (rng.next() % t.len() as u64) as usize;
                t[p] = ALPHA[(rng.next() % ALPHA.len() as u64) as usize];
            }
            t
        };
        if let Ok(v) = open(&r, &t) {
            // only possible when the mutation rewrote the same characters
            assert_eq!(t, good);
            assert_eq!(v, b"some session value");
        }
    }
}
