# The native backend: native/binding.c (N-API) linked with the Rust core
# built as a staticlib (native/, over crate/). `node-gyp rebuild` runs cargo
# first (the action below), so it is the whole from-source build;
# `npm run build:native` = scripts/build-native.sh wraps it. Cross builds
# (--arch arm64) pass the Rust target to the action through the environment
# (WASM_SESSION_RUST_TARGET); the staticlib lands at one path either way.
{
  "targets": [
    {
      "target_name": "wasm_session",
      "sources": ["native/binding.c"],
      "actions": [
        {
          "action_name": "cargo_staticlib",
          "inputs": ["scripts/cargo-native.sh", "native/src/lib.rs", "native/Cargo.toml", "Cargo.lock"],
          "outputs": ["<(module_root_dir)/target/native/lib/libwasm_session_native.a"],
          "action": ["bash", "<(module_root_dir)/scripts/cargo-native.sh"]
        }
      ],
      "cflags": ["-O2", "-fvisibility=hidden"],
      "libraries": [
        "<(module_root_dir)/target/native/lib/libwasm_session_native.a",
        "-lpthread", "-ldl", "-lm"
      ],
      "ldflags": ["-Wl,--exclude-libs,ALL", "-Wl,--gc-sections", "-s"]
    }
  ]
}
