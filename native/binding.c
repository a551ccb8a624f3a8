// N-API layer of the native backend: converts JS values to bytes and back,
// one call per seal/open, nothing else. The crypto is the Rust staticlib
// (native/src/lib.rs over crate/). Node-API only (ABI-stable across Node
// versions); context-aware (NAPI_MODULE_INIT), so worker threads each load
// their own instance: all per-instance state is in napi instance data and
// every codec owns its native handle.
#define NAPI_VERSION 8
#define _DEFAULT_SOURCE /* explicit_bzero (glibc 2.25+) */
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct Handle Handle;
extern Handle *wsn_handle_new(void);
extern void wsn_handle_free(Handle *h);
extern int32_t wsn_add_key(Handle *h, const uint8_t *secret, size_t secret_len, const uint8_t *name, size_t name_len);
extern int32_t wsn_seal(Handle *h, const uint8_t *value, size_t value_len, double issued_at, const uint8_t *iv,
                        uint8_t *out, size_t out_cap);
extern int32_t wsn_open(Handle *h, const uint8_t *token, size_t token_len, double now, double max_age_s,
                        double skew_ms, uint8_t *out, size_t out_cap, double *issued_at, int32_t *key_index);
extern int32_t wsn_new_ids(Handle *h, uint8_t *out, size_t out_cap);

#define TOKEN_MAX 4096
#define VALUE_CAP 4096  /* > VALUE_MAX (3014): a value that fills it is too large */
#define TEXT_CAP 12289  /* 3 UTF-8 bytes per UTF-16 unit of a <= 4096-unit token, + NUL */
#define SECRET_CAP 8192
#define ERR_TOO_LARGE (-7)
#define ERR_BAD_ARG (-8)

// What an external points at: dispose() frees the handle and nulls it here;
// the GC finalizer frees whatever is left.
typedef struct {
  Handle *h;
} Slot;

// Per-environment state: where open() leaves issuedAt and keyIndex (a
// Float64Array the JS side registers once), instead of building an object.
typedef struct {
  napi_ref results_ref;
  double *results;
} Instance;

// memset speed, and never optimised away (a volatile byte loop cost ~1 µs per 2 KiB).
static void wipe(void *p, size_t n) { explicit_bzero(p, n); }

static napi_value int32(napi_env env, int32_t i) {
  napi_value v;
  napi_create_int32(env, i, &v);
  return v;
}

static Handle *handle_of(napi_env env, napi_value ext) {
  Slot *slot = NULL;
  if (napi_get_value_external(env, ext, (void **)&slot) != napi_ok || !slot) return NULL;
  return slot->h;
}

static void finalize_slot(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  Slot *slot = (Slot *)data;
  wsn_handle_free(slot->h);
  free(slot);
}

// create(secrets: string[], name: string) -> external | negative code
static napi_value js_create(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  // Heap, not static: worker threads may create codecs at the same time.
  uint8_t *name = (uint8_t *)malloc(SECRET_CAP), *secret = (uint8_t *)malloc(SECRET_CAP);
  size_t name_len = 0, secret_len = 0;
  uint32_t count = 0;
  int32_t rc = 0;
  if (!name || !secret || napi_get_value_string_utf8(env, argv[1], (char *)name, SECRET_CAP, &name_len) != napi_ok ||
      name_len >= SECRET_CAP - 1 || napi_get_array_length(env, argv[0], &count) != napi_ok)
    rc = ERR_BAD_ARG;
  Handle *h = wsn_handle_new();
  for (uint32_t i = 0; i < count && rc >= 0; i++) {
    napi_value s;
    if (napi_get_element(env, argv[0], i, &s) != napi_ok ||
        napi_get_value_string_utf8(env, s, (char *)secret, SECRET_CAP, &secret_len) != napi_ok ||
        secret_len >= SECRET_CAP - 1)
      rc = ERR_BAD_ARG;
    else
      rc = wsn_add_key(h, secret, secret_len, name, name_len);
    wipe(secret, SECRET_CAP);
  }
  free(name);
  free(secret);
  if (rc < 0) {
    wsn_handle_free(h);
    return int32(env, rc);
  }
  Slot *slot = (Slot *)malloc(sizeof *slot);
  napi_value ext;
  if (!slot) {
    wsn_handle_free(h);
    return int32(env, ERR_BAD_ARG);
  }
  slot->h = h;
  if (napi_create_external(env, slot, finalize_slot, NULL, &ext) != napi_ok) {
    finalize_slot(env, slot, NULL);
    return int32(env, ERR_BAD_ARG);
  }
  return ext;
}

// dispose(ext): frees (zeroes) the handle now; later calls get -8.
static napi_value js_dispose(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  Slot *slot = NULL;
  if (napi_get_value_external(env, argv[0], (void **)&slot) == napi_ok && slot) {
    wsn_handle_free(slot->h);
    slot->h = NULL;
  }
  return NULL;
}

// seal(ext, value: string | Uint8Array, issuedAt, iv?: Uint8Array) -> token | negative code
static napi_value js_seal(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  Handle *h = handle_of(env, argv[0]);
  uint8_t value_buf[VALUE_CAP];
  const uint8_t *value = value_buf;
  size_t value_len = 0;
  napi_valuetype t;
  napi_typeof(env, argv[1], &t);
  if (t == napi_string) {
    if (napi_get_value_string_utf8(env, argv[1], (char *)value_buf, sizeof value_buf, &value_len) != napi_ok)
      return int32(env, ERR_BAD_ARG);
    if (value_len >= sizeof value_buf - 1) return int32(env, ERR_TOO_LARGE);
  } else {
    napi_typedarray_type ta;
    void *data;
    if (napi_get_typedarray_info(env, argv[1], &ta, &value_len, &data, NULL, NULL) != napi_ok || ta != napi_uint8_array)
      return int32(env, ERR_BAD_ARG);
    value = (const uint8_t *)data;
  }
  double issued_at = 0;
  napi_get_value_double(env, argv[2], &issued_at);
  const uint8_t *iv = NULL;
  if (argc > 3) {
    napi_typedarray_type ta;
    size_t iv_len = 0;
    void *data;
    if (napi_get_typedarray_info(env, argv[3], &ta, &iv_len, &data, NULL, NULL) != napi_ok || ta != napi_uint8_array ||
        iv_len != 16)
      return int32(env, ERR_BAD_ARG);
    iv = (const uint8_t *)data;
  }
  uint8_t out[TOKEN_MAX];
  int32_t n = wsn_seal(h, value, value_len, issued_at, iv, out, sizeof out);
  if (value == value_buf) wipe(value_buf, value_len);
  if (n < 0) return int32(env, n);
  napi_value s;
  napi_create_string_latin1(env, (const char *)out, (size_t)n, &s);
  return s;
}

// open(ext, token, now, maxAgeS, skewMs, text: boolean) -> string | Uint8Array | negative code;
// issuedAt and keyIndex go to the registered results array.
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  Instance *inst = NULL;
  napi_get_instance_data(env, (void **)&inst);
  if (!inst || !inst->results) return int32(env, ERR_BAD_ARG);
  Handle *h = handle_of(env, argv[0]);
  // Non-ASCII input becomes bytes >= 0x80, which base64url rejects (malformed).
  uint8_t token[TEXT_CAP];
  size_t token_len = 0;
  if (napi_get_value_string_utf8(env, argv[1], (char *)token, sizeof token, &token_len) != napi_ok)
    return int32(env, ERR_BAD_ARG);
  double now = 0, max_age = -1, skew = 0;
  napi_get_value_double(env, argv[2], &now);
  napi_get_value_double(env, argv[3], &max_age);
  napi_get_value_double(env, argv[4], &skew);
  bool text = false;
  napi_get_value_bool(env, argv[5], &text);
  uint8_t out[VALUE_CAP];
  int32_t key_index = -1;
  int32_t n = wsn_open(h, token, token_len, now, max_age, skew, out, sizeof out, &inst->results[0], &key_index);
  if (n < 0) return int32(env, n);
  inst->results[1] = key_index;
  napi_value v;
  if (text) {
    napi_create_string_utf8(env, (const char *)out, (size_t)n, &v);
  } else {
    void *data;
    napi_value ab;
    napi_create_arraybuffer(env, (size_t)n, &data, &ab);
    memcpy(data, out, (size_t)n);
    napi_create_typedarray(env, napi_uint8_array, (size_t)n, ab, 0, &v);
  }
  wipe(out, (size_t)n);
  return v;
}

// newIds(ext, n) -> string of n * 22 characters | negative code
static napi_value js_new_ids(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  Handle *h = handle_of(env, argv[0]);
  uint32_t count = 0;
  napi_get_value_uint32(env, argv[1], &count);
  uint8_t out[22 * 256];
  if (count > 256) return int32(env, ERR_BAD_ARG);
  int32_t n = wsn_new_ids(h, out, (size_t)count * 22);
  if (n < 0) return int32(env, n);
  napi_value s;
  napi_create_string_latin1(env, (const char *)out, (size_t)n, &s);
  wipe(out, (size_t)n);
  return s;
}

static void finalize_instance(napi_env env, void *data, void *hint) {
  (void)hint;
  Instance *inst = (Instance *)data;
  if (inst->results_ref) napi_delete_reference(env, inst->results_ref);
  free(inst);
}

// setResults(Float64Array(2)): [issuedAt, keyIndex] of the last open that succeeded.
static napi_value js_set_results(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  Instance *inst = NULL;
  napi_get_instance_data(env, (void **)&inst);
  napi_typedarray_type ta;
  size_t len = 0;
  void *data;
  if (!inst || napi_get_typedarray_info(env, argv[0], &ta, &len, &data, NULL, NULL) != napi_ok ||
      ta != napi_float64_array || len < 2)
    return int32(env, ERR_BAD_ARG);
  if (inst->results_ref) napi_delete_reference(env, inst->results_ref);
  // The reference keeps the array (and so its backing store) alive.
  napi_create_reference(env, argv[0], 1, &inst->results_ref);
  inst->results = (double *)data;
  return int32(env, 0);
}

NAPI_MODULE_INIT() {
  Instance *inst = (Instance *)calloc(1, sizeof *inst);
  if (!inst || napi_set_instance_data(env, inst, finalize_instance, NULL) != napi_ok) return NULL;
  const napi_property_descriptor props[] = {
      {"create", NULL, js_create, NULL, NULL, NULL, napi_default, NULL},
      {"dispose", NULL, js_dispose, NULL, NULL, NULL, napi_default, NULL},
      {"seal", NULL, js_seal, NULL, NULL, NULL, napi_default, NULL},
      {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
      {"newIds", NULL, js_new_ids, NULL, NULL, NULL, napi_default, NULL},
      {"setResults", NULL, js_set_results, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
