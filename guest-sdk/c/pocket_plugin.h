/*
 * pocket_plugin.h: the C guest SDK of pocket-wit, for the `pocket:plugin@0.2.1` world.
 *
 * The canonical-ABI glue (imports, exports, cabi_realloc, post-return functions) lives in
 * pocket_plugin.c, written by hand against wit/v0.2.1; `test/c.test.ts` checks it against the WIT.
 * Storage (pp_kv_*, below) is in pocket_kv.c, against wit/deps/wasi-keyvalue
 * (`test/storage-go-c.test.ts` checks it).
 *
 * An author implements:
 *   bool pp_exec(const pp_call_t *call, pp_str_t *out, pp_error_t *err);          required
 *   bool pp_prep(const pp_call_t *call, pp_str_t *out, pp_error_t *err);          optional: input as is
 *   bool pp_post(const pp_call_t *call, pp_post_result_t *out, pp_error_t *err);  optional: exec result, "default"
 *   void pp_metadata(pp_metadata_t *meta);                                        optional
 * Each phase returns true on success (after setting *out) or false after filling *err
 * (use pp_fail). `call->node_type` is always one of the plugin's node types: the SDK answers
 * `not-found` for any other before calling you.
 *
 * Metadata comes from manifest.yaml: `pocket-wit build` generates `pocket_manifest.c` (identity,
 * permissions, nodes with their schemas and examples). pp_metadata may change or add to it; it
 * runs once, so use static or malloc'd memory there (not pp_alloc).
 *
 * Config and input arrive as the host checked them: it validates both against the node's schemas
 * (from the manifest) and applies their defaults at every depth before calling the plugin.
 *
 * JSON stays text: the SDK does not parse it. pp_json_get_string / pp_json_get_number read one
 * top-level field of an object; pp_buf_* help write JSON.
 *
 * Memory: every pp_str_t the SDK hands you (call fields, pp_store_get results) and everything
 * from pp_alloc / pp_str_dup / pp_buf lives until the current call has returned to the host,
 * then it is all freed at once (in the export's post-return function). Results may point to any
 * such memory, to string literals, or to your own long-lived memory.
 *
 * WASI: the SDK itself uses none (time comes from pp_now(), logs go through pp_log()). A plugin may
 * use WASI through wasi-libc (stdio, files, getenv, clocks, exit): the build then adds the WASI
 * adapter and the host grants only what the manifest's permissions allow (docs/languages/c.md).
 */
#ifndef POCKET_PLUGIN_H
#define POCKET_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** The world version this header and pocket_plugin.c implement (the names of the imports and exports). */
#ifndef PP_WIT_VERSION
#define PP_WIT_VERSION "0.2.1"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Types, laid out exactly as the canonical ABI lays out the WIT types (wasm32) ---- */

/** A UTF-8 string (WIT `string`); not NUL-terminated. */
typedef struct {
  const char *ptr;
  size_t len;
} pp_str_t;

/** `option<string>`: tag byte at 0, payload at 4. */
typedef struct {
  bool is_some;
  pp_str_t val;
} pp_opt_str_t;

/** `list<string>`. */
typedef struct {
  pp_str_t *ptr;
  size_t len;
} pp_str_list_t;

/** WIT `error-code`. */
typedef enum {
  PP_PLUGIN_ERROR = 0,
  PP_INVALID_INPUT = 1,
  PP_NOT_FOUND = 2,
  PP_PERMISSION_DENIED = 3,
} pp_error_code_t;

/** WIT `log-level`. */
typedef enum {
  PP_LOG_DEBUG = 0,
  PP_LOG_INFO = 1,
  PP_LOG_WARN = 2,
  PP_LOG_ERROR = 3,
} pp_log_level_t;

/** WIT `node-error` (size 24): code byte, message, optional JSON details. */
typedef struct {
  uint8_t code;
  pp_str_t message;
  pp_opt_str_t details;
} pp_error_t;

/** WIT `post-result` (size 16). An empty `next` means "default". */
typedef struct {
  pp_str_t output;
  pp_str_t next;
} pp_post_result_t;

/** WIT `node-example` (size 48). */
typedef struct {
  pp_str_t name;
  pp_str_t description;
  pp_opt_str_t config;
  pp_str_t input;
  pp_opt_str_t output;
} pp_example_t;

/** WIT `node-definition` (size 68). */
typedef struct {
  pp_str_t node_type;
  pp_str_t category;
  pp_str_t description;
  pp_opt_str_t config_schema;
  pp_opt_str_t input_schema;
  pp_opt_str_t output_schema;
  struct {
    pp_example_t *ptr;
    size_t len;
  } examples;
} pp_node_def_t;

/** WIT `permissions` (size 48). */
typedef struct {
  pp_opt_str_t memory;
  pp_opt_str_t timeout;
  pp_str_list_t env;
  pp_str_list_t filesystem;
  pp_str_list_t network;
} pp_permissions_t;

/** WIT `plugin-metadata` (size 104). */
typedef struct {
  pp_str_t name;
  pp_str_t version;
  pp_str_t description;
  pp_opt_str_t author;
  pp_opt_str_t license;
  struct {
    pp_node_def_t *ptr;
    size_t len;
  } nodes;
  pp_permissions_t permissions;
} pp_metadata_t;

/** Which phase a call is. */
typedef enum { PP_PREP = 0, PP_EXEC = 1, PP_POST = 2 } pp_phase_t;

/**
 * One phase call. All fields are JSON text except node_type. `input` is set in prep and post,
 * `prep_result` in exec and post, `exec_result` in post; the others are empty.
 */
typedef struct {
  pp_phase_t phase;
  pp_str_t node_type;
  pp_str_t config;
  pp_str_t input;
  pp_str_t prep_result;
  pp_str_t exec_result;
} pp_call_t;

/* ---- What the author implements ---- */

bool pp_prep(const pp_call_t *call, pp_str_t *out, pp_error_t *err);
bool pp_exec(const pp_call_t *call, pp_str_t *out, pp_error_t *err);
bool pp_post(const pp_call_t *call, pp_post_result_t *out, pp_error_t *err);
void pp_metadata(pp_metadata_t *meta);

/** The metadata generated from manifest.yaml (pocket_manifest.c). */
extern const pp_metadata_t pp_manifest;

/*
 * A node defined in code (in pp_metadata) needs a type, a category and a description, as one in
 * manifest.yaml does. PP_NODE fills the three from string literals and refuses an empty one at
 * compile time; use it inside braces, with any other fields after it:
 *   static pp_node_def_t nodes[] = {{PP_NODE("upper", "text", "Uppercase a string"), .input_schema = ...}};
 * (An empty field given otherwise is refused by the host: `error[invalid-plugin]`.)
 */
#define PP__NONEMPTY(literal, field) \
  (0 * sizeof(struct { _Static_assert(sizeof(literal) > 1, "PP_NODE: the node's " field " is empty: every node needs a type, a category and a description"); char c_; }))
#define PP_NODE(type_, category_, description_) \
  .node_type = {(type_), sizeof(type_) - 1 + PP__NONEMPTY(type_, "type")}, \
  .category = {(category_), sizeof(category_) - 1 + PP__NONEMPTY(category_, "category")}, \
  .description = {(description_), sizeof(description_) - 1 + PP__NONEMPTY(description_, "description")}

/* ---- Strings and memory (call-scoped, see above) ---- */

#define PP_STR(literal) ((pp_str_t){(literal), sizeof(literal) - 1})
pp_str_t pp_str(const char *cstr);
bool pp_str_eq(pp_str_t s, const char *cstr);
void *pp_alloc(size_t size);
pp_str_t pp_str_dup(pp_str_t s);

/** Fill *err and return false: `return pp_fail(err, PP_INVALID_INPUT, "input.text: missing");` */
bool pp_fail(pp_error_t *err, pp_error_code_t code, const char *message);
/** The same with JSON details (an object as text). */
bool pp_fail_details(pp_error_t *err, pp_error_code_t code, pp_str_t message, pp_str_t details_json);

/** A growable call-scoped buffer for building output text. */
typedef struct {
  char *data;
  size_t len;
  size_t cap;
} pp_buf_t;

void pp_buf_init(pp_buf_t *b);
void pp_buf_append(pp_buf_t *b, const char *data, size_t len);
void pp_buf_puts(pp_buf_t *b, const char *cstr);
void pp_buf_putc(pp_buf_t *b, char c);
void pp_buf_str(pp_buf_t *b, pp_str_t s);
/** Append s as a quoted, escaped JSON string. */
void pp_buf_json_string(pp_buf_t *b, pp_str_t s);
void pp_buf_i64(pp_buf_t *b, int64_t v);
void pp_buf_u64(pp_buf_t *b, uint64_t v);
/** Append v rounded to `decimals` places, JSON style: trailing zeros dropped (2.50 -> 2.5, 3.00 -> 3). */
void pp_buf_fixed(pp_buf_t *b, double v, int decimals);
pp_str_t pp_buf_done(const pp_buf_t *b);

/* ---- JSON reading (a top-level field of an object) ---- */

/** 1: found a string (unescaped into *out); 0: no such field; -1: not an object / not a string / bad JSON. */
int pp_json_get_string(pp_str_t json, const char *key, pp_str_t *out);
/** 1: found a number; 0: no such field; -1: not an object / not a number / bad JSON. */
int pp_json_get_number(pp_str_t json, const char *key, double *out);

/* ---- Host imports ---- */

void pp_log(pp_log_level_t level, const char *message);
/** Log with optional JSON fields (an object as text); pass fields.ptr == NULL for none. */
void pp_log_str(pp_log_level_t level, pp_str_t message, pp_str_t fields);
/** true and *out = the value (JSON text) when the key is set. */
bool pp_store_get(pp_str_t key, pp_str_t *out);
/**
 * Write a JSON value (as text); only in prep and post. exec may be retried, so the host refuses a
 * store write (set or delete) during exec: the write is not applied and the call fails with
 * `permission-denied`.
 */
void pp_store_set(pp_str_t key, pp_str_t value_json);
/** Remove a key; whether it was set. Only in prep and post, like pp_store_set. */
bool pp_store_delete(pp_str_t key);
/** Milliseconds since the Unix epoch, from the host. */
uint64_t pp_now(void);
/** Whether the host asks the call in flight to stop (timeout or cancelled run). */
bool pp_cancelled(void);

/* ---- Persistent storage: wasi:keyvalue@0.2.0-draft (pocket_kv.c) ----
 *
 * Buckets of key/value pairs kept across calls, runs and processes, in the plugin's own
 * namespace: the manifest names them and a quota in `permissions.storage` (docs/STORAGE.md).
 * The host checks the grant and the quota on every call. A plugin that calls none of these
 * imports no keyvalue (the linker drops them); one that does is built into the world
 * `plugin-with-storage`.
 *
 * On failure each function fills *err like pp_fail, so a phase can `return false` at once:
 * permission-denied without a storage permission, for a bucket the grant does not name, or for a
 * write over the quota; invalid-input for an increment of a value that is not a counter.
 * Values are any bytes (pp_str_t as pointer and length); what the functions return lives in the
 * call arena, like pp_store_get's results.
 *
 *   pp_kv_bucket_t *counters = pp_kv_open(PP_STR("counters"), err);
 *   uint64_t n;
 *   if (!counters || !pp_kv_increment(counters, PP_STR("calls"), 1, &n, err)) return false;
 */

/** An open bucket (long-lived: it may be kept in a static and used in later calls). */
typedef struct pp_kv_bucket pp_kv_bucket_t;

/** Open a bucket the manifest names in permissions.storage.buckets; NULL after filling *err. */
pp_kv_bucket_t *pp_kv_open(pp_str_t name, pp_error_t *err);
/** Close a bucket (NULL is ignored). */
void pp_kv_close(pp_kv_bucket_t *bucket);
/** 1 and *out = the value when the key is set; 0 when it is not; -1 after filling *err. */
int pp_kv_get(pp_kv_bucket_t *bucket, pp_str_t key, pp_str_t *out, pp_error_t *err);
/** Set key to value, replacing what was there; a write over the quota is refused (nothing written). */
bool pp_kv_set(pp_kv_bucket_t *bucket, pp_str_t key, pp_str_t value, pp_error_t *err);
/** Remove key; removing a key that is not set is not an error. */
bool pp_kv_delete(pp_kv_bucket_t *bucket, pp_str_t key, pp_error_t *err);
/** 1 when key is set, 0 when not, -1 after filling *err. */
int pp_kv_exists(pp_kv_bucket_t *bucket, pp_str_t key, pp_error_t *err);
/**
 * Add delta to the counter at key (a key not set starts at 0) and set *out to the new value, in
 * one step no other writer can interleave with. Counters are stored as decimal text ("42").
 */
bool pp_kv_increment(pp_kv_bucket_t *bucket, pp_str_t key, uint64_t delta, uint64_t *out, pp_error_t *err);
/** Every key of the bucket, in byte order. */
bool pp_kv_keys(pp_kv_bucket_t *bucket, pp_str_list_t *out, pp_error_t *err);

#ifdef __cplusplus
}
#endif

#endif /* POCKET_PLUGIN_H */
