//! ChaCha20 CSPRNG for IVs and session IDs, seeded from the host.
//!
//! One generator serves both. It is seeded with 32 bytes of host entropy
//! (`env.ws_random`, i.e. `crypto.getRandomValues`, in the .wasm) on first
//! use and reseeded before it has produced `RESEED_INTERVAL` outputs (an IV
//! or an ID each count as one), bounding how much output depends on one
//! seed. Crossing into JS for 16 bytes costs more than generating them
//! here, hence the local generator.

use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use zeroize::Zeroizing;

use crate::wipe::Wiped;

/// Outputs (IVs + IDs) per seed, at most.
pub const RESEED_INTERVAL: u64 = 1 << 20;

/// Source of seed material.
pub trait Entropy {
    /// Fills `buf` with cryptographically secure random bytes.
    fn fill(&mut self, buf: &mut [u8]);
}

/// The host's CSPRNG: the `env.ws_random` import in WebAssembly,
/// `/dev/urandom` natively (tests).
#[derive(Default)]
pub struct HostEntropy;

#[cfg(target_arch = "wasm32")]
#[link(wasm_import_module = "env")]
extern "C" {
    /// JS fills memory[ptr..ptr + len] with crypto.getRandomValues.
    fn ws_random(ptr: *mut u8, len: u32);
}

#[cfg(target_arch = "wasm32")]
impl Entropy for HostEntropy {
    fn fill(&mut self, buf: &mut [u8]) {
        // SAFETY: the import writes exactly `len` bytes at `ptr`, inside `buf`.
        unsafe { ws_random(buf.as_mut_ptr(), buf.len() as u32) }
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Entropy for HostEntropy {
    fn fill(&mut self, buf: &mut [u8]) {
        use std::io::Read;
        let filled = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(buf));
        // Native builds exist for tests only; never continue without entropy.
        if filled.is_err() {
            std::process::abort();
        }
    }
}

/// ChaCha20Rng with periodic reseeding from `E`.
pub struct Generator<E: Entropy> {
    rng: Option<Wiped<ChaCha20Rng>>,
    outputs: u64,
    reseeds: u64,
    entropy: E,
}

impl<E: Entropy> Generator<E> {
    /// Unseeded; seeds itself on first use.
    pub const fn new(entropy: E) -> Self {
        Generator { rng: None, outputs: 0, reseeds: 0, entropy }
    }

    /// Fills `buf` with random bytes, counting them as `outputs` outputs
    /// (a batch of n IDs is n outputs). Reseeds first if the batch would
    /// take the current seed past `RESEED_INTERVAL` outputs.
    pub fn generate(&mut self, buf: &mut [u8], outputs: u64) {
        if self.rng.is_none() || self.outputs + outputs > RESEED_INTERVAL {
            self.reseed();
        }
        self.outputs += outputs;
        if let Some(rng) = self.rng.as_mut() {
            rng.fill_bytes(buf);
        }
    }

    /// Replaces the generator with one seeded from fresh host entropy; the
    /// old state is zeroed.
    pub fn reseed(&mut self) {
        let mut seed = Zeroizing::new([0u8; 32]);
        self.entropy.fill(&mut seed[..]);
        // SAFETY: ChaCha20Rng is plain data (key, counter, output buffer).
        self.rng = Some(unsafe { Wiped::new(ChaCha20Rng::from_seed(*seed)) });
        self.outputs = 0;
        self.reseeds += 1;
    }

    /// Number of times the generator was (re)seeded.
    pub fn seed_count(&self) -> u64 {
        self.reseeds
    }

    /// Outputs produced since the last (re)seed.
    pub fn outputs_since_seed(&self) -> u64 {
        self.outputs
    }
}
