/**
 * `wasm-session/wasm`: the crypto core's WebAssembly module file, for runtimes
 * that only allow WebAssembly imported at bundle time (Cloudflare Workers), where
 * the import gives a compiled module: `await initWasm(wasm)`.
 */
declare const module: WebAssembly.Module;
export default module;
