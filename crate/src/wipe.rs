//! Zeroing for the few secret-holding types whose crates (at the
//! 1.63-compatible versions) have no `zeroize` support: the keyed HMAC
//! state of `hmac` 0.12 (its inner/outer hash states are as good as the
//! key), the HKDF PRK state, and the ChaCha20 RNG state.

use core::mem::{align_of, size_of, ManuallyDrop};
use core::ops::{Deref, DerefMut};
use core::ptr;
use core::sync::atomic::{compiler_fence, Ordering};

/// Owns a `T` and overwrites its bytes with zeros when dropped.
pub(crate) struct Wiped<T> {
    inner: ManuallyDrop<T>,
}

impl<T> Wiped<T> {
    /// # Safety
    /// `T` must be plain data: no pointers or handles it owns, no `Drop`
    /// impl that reads its fields (anything that would observe the zeroed
    /// bytes). True of `Hmac<Sha256>`, `Hkdf<Sha256>` and `ChaCha20Rng`,
    /// which are integer arrays and counters.
    pub(crate) unsafe fn new(inner: T) -> Self {
        Wiped { inner: ManuallyDrop::new(inner) }
    }
}

impl<T> Deref for Wiped<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T> DerefMut for Wiped<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.inner
    }
}

impl<T> Drop for Wiped<T> {
    fn drop(&mut self) {
        let p = (&mut *self.inner as *mut T).cast::<u8>();
        // Word stores where alignment allows (these wipes run per message).
        let words = if align_of::<T>() >= align_of::<u64>() { size_of::<T>() / 8 } else { 0 };
        // SAFETY: all stores are in bounds of the owned value, the u64 ones
        // aligned; volatile so they are not elided as dead. The value is
        // never used again (ManuallyDrop: its drop glue never runs).
        unsafe {
            for i in 0..words {
                ptr::write_volatile(p.cast::<u64>().add(i), 0);
            }
            for i in words * 8..size_of::<T>() {
                ptr::write_volatile(p.add(i), 0);
            }
        }
        compiler_fence(Ordering::SeqCst);
    }
}
