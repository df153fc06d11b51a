/*
 * pocket_kv.c: persistent storage (`permissions.storage`) for C plugins, by hand-written
 * canonical-ABI glue for the imports of `wasi:keyvalue@0.2.0-draft` (wit/deps/wasi-keyvalue):
 * `store` (open, the bucket resource's methods, its drop) and `atomics` (increment).
 *
 * A file of its own, compiled into every plugin: wasm-ld drops functions nobody calls together
 * with the imports only they reference (`--gc-sections`, its default), so a plugin that never
 * calls pp_kv_* imports no keyvalue and its component needs no storage. One that does imports
 * `wasi:keyvalue/...`, and the build wraps it in the world `plugin-with-storage` (tools/build).
 *
 * Every result here has more than one flat value, so each import takes a return pointer last and
 * the host writes the result there (layouts below, checked by test/storage-go-c.test.ts against
 * the WIT); strings and lists in results are allocated through cabi_realloc, so they live in the
 * call arena until the call returns, like pp_store_get's. The host checks the grant and the quota
 * on every call (docs/STORAGE.md); this file only turns its `error` values into pp_error_t with
 * the codes the other SDKs give.
 */
#include "pocket_plugin.h"

#include <stdlib.h>
#include <string.h>

#define KV_VERSION "0.2.0-draft"
#define KV_STORE(name) __attribute__((import_module("wasi:keyvalue/store@" KV_VERSION), import_name(name)))
#define KV_ATOMICS(name) __attribute__((import_module("wasi:keyvalue/atomics@" KV_VERSION), import_name(name)))
#define I32(p) ((int32_t)(uintptr_t)(p))

/* ---- The result layouts (wasm32) ---- */

/* variant error { no-such-store, access-denied, other(string) }: size 12, tag at 0, string at 4. */
enum { KV_NO_SUCH_STORE = 0, KV_ACCESS_DENIED = 1, KV_OTHER = 2 };
typedef struct {
  uint8_t tag;
  pp_str_t other;
} kv_error_t;

/* result<own<bucket>, error>: size 16, payload at 4. */
typedef struct {
  uint8_t is_err;
  union {
    int32_t ok;
    kv_error_t err;
  } val;
} kv_ret_open_t;

/* result<option<list<u8>>, error>: size 16, payload at 4 (option: tag at 0, list at 4). */
typedef struct {
  uint8_t is_err;
  union {
    pp_opt_str_t ok;
    kv_error_t err;
  } val;
} kv_ret_get_t;

/* result<_, error>: size 16, payload at 4. */
typedef struct {
  uint8_t is_err;
  kv_error_t err;
} kv_ret_unit_t;

/* result<bool, error>: size 16, payload at 4. */
typedef struct {
  uint8_t is_err;
  union {
    bool ok;
    kv_error_t err;
  } val;
} kv_ret_bool_t;

/* record key-response { keys: list<string>, cursor: option<u64> }: size 24, align 8. */
typedef struct {
  pp_str_list_t keys;
  struct {
    bool is_some;
    uint64_t val;
  } cursor;
} kv_key_response_t;

/* result<key-response, error>: size 32, payload at 8. */
typedef struct {
  uint8_t is_err;
  union {
    kv_key_response_t ok;
    kv_error_t err;
  } val;
} kv_ret_list_t;

/* result<u64, error>: size 24, payload at 8. */
typedef struct {
  uint8_t is_err;
  union {
    uint64_t ok;
    kv_error_t err;
  } val;
} kv_ret_u64_t;

_Static_assert(sizeof(kv_error_t) == 12 && offsetof(kv_error_t, other) == 4, "error");
_Static_assert(sizeof(kv_ret_open_t) == 16 && offsetof(kv_ret_open_t, val) == 4, "result<bucket, error>");
_Static_assert(sizeof(kv_ret_get_t) == 16 && offsetof(kv_ret_get_t, val) == 4, "result<option<list<u8>>, error>");
_Static_assert(sizeof(kv_ret_unit_t) == 16 && offsetof(kv_ret_unit_t, err) == 4, "result<_, error>");
_Static_assert(sizeof(kv_ret_bool_t) == 16 && offsetof(kv_ret_bool_t, val) == 4, "result<bool, error>");
_Static_assert(sizeof(kv_key_response_t) == 24 && offsetof(kv_key_response_t, cursor) == 8, "key-response");
_Static_assert(sizeof(kv_ret_list_t) == 32 && offsetof(kv_ret_list_t, val) == 8, "result<key-response, error>");
_Static_assert(sizeof(kv_ret_u64_t) == 24 && offsetof(kv_ret_u64_t, val) == 8, "result<u64, error>");

/* ---- Imports, flattened (borrow<bucket> and own<bucket> are i32 handles, u64 is i64) ---- */

/* open: func(identifier: string) -> result<bucket, error> */
KV_STORE("open") extern void kv__open(int32_t name_ptr, int32_t name_len, int32_t ret);
/* [method]bucket.get: func(key: string) -> result<option<list<u8>>, error> */
KV_STORE("[method]bucket.get") extern void kv__get(int32_t self, int32_t key_ptr, int32_t key_len, int32_t ret);
/* [method]bucket.set: func(key: string, value: list<u8>) -> result<_, error> */
KV_STORE("[method]bucket.set") extern void kv__set(int32_t self, int32_t key_ptr, int32_t key_len, int32_t val_ptr, int32_t val_len, int32_t ret);
/* [method]bucket.delete: func(key: string) -> result<_, error> */
KV_STORE("[method]bucket.delete") extern void kv__delete(int32_t self, int32_t key_ptr, int32_t key_len, int32_t ret);
/* [method]bucket.exists: func(key: string) -> result<bool, error> */
KV_STORE("[method]bucket.exists") extern void kv__exists(int32_t self, int32_t key_ptr, int32_t key_len, int32_t ret);
/* [method]bucket.list-keys: func(cursor: option<u64>) -> result<key-response, error> */
KV_STORE("[method]bucket.list-keys") extern void kv__list_keys(int32_t self, int32_t has_cursor, int64_t cursor, int32_t ret);
/* [resource-drop]bucket */
KV_STORE("[resource-drop]bucket") extern void kv__drop(int32_t self);
/* increment: func(bucket: borrow<bucket>, key: string, delta: u64) -> result<u64, error> */
KV_ATOMICS("increment") extern void kv__increment(int32_t bucket, int32_t key_ptr, int32_t key_len, int64_t delta, int32_t ret);

/* ---- Buckets ---- */

/* Long-lived (malloc, not the call arena): a plugin may keep an open bucket across calls. */
struct pp_kv_bucket {
  int32_t handle;
  size_t name_len;
  char name[];
};

/* "bucket <name>: <op>(\"<key>\")", the start of every message (call-scoped). */
static void describe(pp_buf_t *b, const pp_kv_bucket_t *bucket, const char *op, const pp_str_t *key) {
  pp_buf_puts(b, "bucket ");
  pp_buf_append(b, bucket->name, bucket->name_len);
  pp_buf_puts(b, ": ");
  pp_buf_puts(b, op);
  pp_buf_putc(b, '(');
  if (key) pp_buf_json_string(b, *key);
  pp_buf_putc(b, ')');
}

/*
 * Fill *err from the host's error and return false. access-denied (no storage permission) and
 * no-such-store (a bucket not granted) are permission-denied; other("<code>: <message>") keeps a
 * known code (a quota is permission-denied), anything else is plugin-error.
 */
static bool fail(pp_error_t *err, pp_buf_t *msg, pp_str_t bucket, const kv_error_t *e) {
  static const char *const codes[] = {"plugin-error", "invalid-input", "not-found", "permission-denied"};
  pp_error_code_t code = PP_PLUGIN_ERROR;
  pp_buf_puts(msg, ": ");
  if (e->tag == KV_ACCESS_DENIED) {
    code = PP_PERMISSION_DENIED;
    pp_buf_puts(msg, "the host grants this plugin no storage (permissions.storage)");
  } else if (e->tag == KV_NO_SUCH_STORE) {
    code = PP_PERMISSION_DENIED;
    pp_buf_puts(msg, "bucket ");
    pp_buf_json_string(msg, bucket);
    pp_buf_puts(msg, " is not granted; name it in permissions.storage.buckets in manifest.yaml");
  } else {
    pp_str_t text = e->tag == KV_OTHER ? e->other : PP_STR("unknown storage error");
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
      size_t n = strlen(codes[i]);
      if (text.len > n + 1 && memcmp(text.ptr, codes[i], n) == 0 && text.ptr[n] == ':' && text.ptr[n + 1] == ' ') {
        code = (pp_error_code_t)i;
        text.ptr += n + 2;
        text.len -= n + 2;
        break;
      }
    }
    pp_buf_str(msg, text);
  }
  err->code = (uint8_t)code;
  err->message = pp_buf_done(msg);
  err->details.is_some = false;
  return false;
}

static bool fail_op(pp_error_t *err, const pp_kv_bucket_t *bucket, const char *op, const pp_str_t *key, const kv_error_t *e) {
  pp_buf_t msg;
  pp_buf_init(&msg);
  describe(&msg, bucket, op, key);
  return fail(err, &msg, (pp_str_t){bucket->name, bucket->name_len}, e);
}

pp_kv_bucket_t *pp_kv_open(pp_str_t name, pp_error_t *err) {
  kv_ret_open_t ret;
  kv__open(I32(name.ptr), (int32_t)name.len, I32(&ret));
  if (ret.is_err) {
    pp_buf_t msg;
    pp_buf_init(&msg);
    pp_buf_puts(&msg, "pp_kv_open(");
    pp_buf_json_string(&msg, name);
    pp_buf_putc(&msg, ')');
    fail(err, &msg, name, &ret.val.err);
    return NULL;
  }
  pp_kv_bucket_t *b = (pp_kv_bucket_t *)malloc(sizeof(pp_kv_bucket_t) + name.len);
  if (!b) __builtin_trap();
  b->handle = ret.val.ok;
  b->name_len = name.len;
  if (name.len) memcpy(b->name, name.ptr, name.len);
  return b;
}

void pp_kv_close(pp_kv_bucket_t *bucket) {
  if (!bucket) return;
  kv__drop(bucket->handle);
  free(bucket);
}

int pp_kv_get(pp_kv_bucket_t *bucket, pp_str_t key, pp_str_t *out, pp_error_t *err) {
  kv_ret_get_t ret;
  kv__get(bucket->handle, I32(key.ptr), (int32_t)key.len, I32(&ret));
  if (ret.is_err) {
    fail_op(err, bucket, "get", &key, &ret.val.err);
    return -1;
  }
  if (!ret.val.ok.is_some) return 0;
  *out = ret.val.ok.val; /* allocated through cabi_realloc: in the call arena */
  if (!out->ptr) out->ptr = "";
  return 1;
}

bool pp_kv_set(pp_kv_bucket_t *bucket, pp_str_t key, pp_str_t value, pp_error_t *err) {
  kv_ret_unit_t ret;
  kv__set(bucket->handle, I32(key.ptr), (int32_t)key.len, I32(value.ptr), (int32_t)value.len, I32(&ret));
  return ret.is_err ? fail_op(err, bucket, "set", &key, &ret.err) : true;
}

bool pp_kv_delete(pp_kv_bucket_t *bucket, pp_str_t key, pp_error_t *err) {
  kv_ret_unit_t ret;
  kv__delete(bucket->handle, I32(key.ptr), (int32_t)key.len, I32(&ret));
  return ret.is_err ? fail_op(err, bucket, "delete", &key, &ret.err) : true;
}

int pp_kv_exists(pp_kv_bucket_t *bucket, pp_str_t key, pp_error_t *err) {
  kv_ret_bool_t ret;
  kv__exists(bucket->handle, I32(key.ptr), (int32_t)key.len, I32(&ret));
  if (ret.is_err) {
    fail_op(err, bucket, "exists", &key, &ret.val.err);
    return -1;
  }
  return ret.val.ok ? 1 : 0;
}

bool pp_kv_increment(pp_kv_bucket_t *bucket, pp_str_t key, uint64_t delta, uint64_t *out, pp_error_t *err) {
  kv_ret_u64_t ret;
  kv__increment(bucket->handle, I32(key.ptr), (int32_t)key.len, (int64_t)delta, I32(&ret));
  if (ret.is_err) return fail_op(err, bucket, "increment", &key, &ret.val.err);
  *out = ret.val.ok;
  return true;
}

bool pp_kv_keys(pp_kv_bucket_t *bucket, pp_str_list_t *out, pp_error_t *err) {
  pp_str_t *all = NULL;
  size_t n = 0;
  bool more = false;
  uint64_t cursor = 0;
  do {
    kv_ret_list_t ret;
    kv__list_keys(bucket->handle, more, (int64_t)cursor, I32(&ret));
    if (ret.is_err) return fail_op(err, bucket, "keys", NULL, &ret.val.err);
    const kv_key_response_t *page = &ret.val.ok;
    if (page->keys.len) {
      pp_str_t *grown = (pp_str_t *)pp_alloc((n + page->keys.len) * sizeof(pp_str_t));
      if (n) memcpy(grown, all, n * sizeof(pp_str_t));
      memcpy(grown + n, page->keys.ptr, page->keys.len * sizeof(pp_str_t));
      all = grown;
      n += page->keys.len;
    }
    /* A cursor that does not move on would loop forever: the host's never does. */
    more = page->cursor.is_some && page->cursor.val > cursor;
    cursor = page->cursor.val;
  } while (more);
  out->ptr = all;
  out->len = n;
  return true;
}
