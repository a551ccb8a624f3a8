// Rough per-call timing of the C ABI without N-API (profiling aid, not a test).
use wasm_session_native::*;
fn main() {
    let h = wsn_handle_new();
    let s = b"native-glue-test-secret-0123456789abcdef";
    unsafe { wsn_add_key(h, s.as_ptr(), s.len(), b"sid".as_ptr(), 3) };
    let size: usize = std::env::args().nth(1).map_or(30, |s| s.parse().unwrap());
    let v = vec![b'a'; size];
    let mut out = [0u8; 4096];
    let n = if size > 1000 { 100_000 } else { 1_000_000 };
    let t = std::time::Instant::now();
    let mut len = 0;
    for _ in 0..n {
        len = unsafe { wsn_seal(h, v.as_ptr(), v.len(), 1.0, core::ptr::null(), out.as_mut_ptr(), out.len()) };
    }
    println!("seal {size} B: {:.0} ns", t.elapsed().as_nanos() as f64 / n as f64);
    let mut val = [0u8; 4096];
    let (mut at, mut ki) = (0.0, 0);
    let t = std::time::Instant::now();
    for _ in 0..n {
        unsafe { wsn_open(h, out.as_ptr(), len as usize, 2.0, -1.0, 0.0, val.as_mut_ptr(), val.len(), &mut at, &mut ki) };
    }
    println!("open {size} B: {:.0} ns", t.elapsed().as_nanos() as f64 / n as f64);
}
