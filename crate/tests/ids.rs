//! Session IDs and the CSPRNG's reseeding.

use std::collections::HashSet;

use wasm_session_core::ids::{fill_ids, ID_LEN};
use wasm_session_core::rng::{Entropy, Generator, HostEntropy, RESEED_INTERVAL};

#[test]
fn ids_are_22_base64url_chars_and_unique() {
    let mut rng = Generator::new(HostEntropy);
    let mut seen = HashSet::new();
    let mut buf = vec![0u8; 372 * ID_LEN];
    assert_eq!(ID_LEN, 22);
    while seen.len() < 100_000 {
        assert_eq!(fill_ids(&mut rng, &mut buf), 372);
        for id in buf.chunks_exact(ID_LEN) {
            assert!(id.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
            // 128 bits in 22 chars: the last char's 2 low bits are zero.
            assert!(b"AEIMQUYcgkosw048".contains(&id[21]));
            assert!(seen.insert(id.to_vec()), "duplicate id");
        }
    }
}

/// Counts calls and hands out distinct seeds.
struct Counting(u8, usize);
impl Entropy for Counting {
    fn fill(&mut self, buf: &mut [u8]) {
        self.0 += 1;
        self.1 += 1;
        buf.fill(self.0);
    }
}

#[test]
fn seeds_lazily_and_reseeds_every_2_pow_20_outputs() {
    let mut g = Generator::new(Counting(0, 0));
    assert_eq!(g.seed_count(), 0);
    let mut a = [0u8; 16];
    g.generate(&mut a, 1);
    assert_eq!(g.seed_count(), 1);
    // Up to the interval on one seed...
    g.generate(&mut [0u8; 16], RESEED_INTERVAL - 1);
    assert_eq!((g.seed_count(), g.outputs_since_seed()), (1, RESEED_INTERVAL));
    // ...and a fresh seed before the next output.
    g.generate(&mut [0u8; 16], 1);
    assert_eq!((g.seed_count(), g.outputs_since_seed()), (2, 1));
    // A batch that would cross the boundary reseeds first.
    g.generate(&mut [0u8; 16], RESEED_INTERVAL);
    assert_eq!((g.seed_count(), g.outputs_since_seed()), (3, RESEED_INTERVAL));

    // Output depends on the seed: a generator on seed #1 repeats `a`.
    let mut h = Generator::new(Counting(0, 0));
    let mut b = [0u8; 16];
    h.generate(&mut b, 1);
    assert_eq!(a, b);
    h.reseed();
    h.generate(&mut b, 1);
    assert_ne!(a, b);
}

#[test]
fn one_output_per_id_counted() {
    let mut g = Generator::new(Counting(0, 0));
    let mut buf = vec![0u8; 10 * ID_LEN + 5];
    assert_eq!(fill_ids(&mut g, &mut buf), 10);
    assert_eq!(g.outputs_since_seed(), 10);
}
