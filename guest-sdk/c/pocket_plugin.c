/*
 * pocket_plugin.c: canonical-ABI glue for the `pocket:plugin@0.2.1` world, by hand.
 *
 * Imports (`pocket:plugin/host@0.2.1`) and exports (`pocket:plugin/node@0.2.1`, the version being
 * PP_WIT_VERSION) are declared with
 * their flattened core signatures; `test/c.test.ts` compares them with the signatures computed from
 * wit/v0.2.1 and the struct layouts of pocket_plugin.h with the canonical ABI's.
 *
 * Results with more than one flat value go to memory: each export returns a pointer to a static
 * return area holding the result (for `result<_, node-error>`: tag byte at 0, payload at 4). The
 * host copies the result out, then calls the export's `cabi_post_…` function, which frees the
 * call arena: the lifted arguments, the host's store-get results and everything the author got
 * from pp_alloc.
 */
#include "pocket_plugin.h"

#include <stdlib.h>
#include <string.h>

#define PP_IMPORT(name) __attribute__((import_module("pocket:plugin/host@" PP_WIT_VERSION), import_name(name)))
#define PP_EXPORT(name) __attribute__((export_name(name)))

/* ---- Layout checks: the canonical ABI's sizes and offsets (see also test/c.test.ts) ---- */

_Static_assert(sizeof(pp_str_t) == 8, "string");
_Static_assert(sizeof(pp_opt_str_t) == 12 && offsetof(pp_opt_str_t, val) == 4, "option<string>");
_Static_assert(sizeof(pp_error_t) == 24 && offsetof(pp_error_t, message) == 4 && offsetof(pp_error_t, details) == 12, "node-error");
_Static_assert(sizeof(pp_example_t) == 48, "node-example");
_Static_assert(sizeof(pp_node_def_t) == 68 && offsetof(pp_node_def_t, examples) == 60, "node-definition");
_Static_assert(sizeof(pp_permissions_t) == 48, "permissions");
_Static_assert(sizeof(pp_metadata_t) == 104 && offsetof(pp_metadata_t, nodes) == 48 && offsetof(pp_metadata_t, permissions) == 56, "plugin-metadata");

/* ---- The call arena ---- */

typedef struct pp_block {
  struct pp_block *next;
  struct pp_block *prev;
  size_t size;
  size_t pad; /* keeps the payload 16-byte aligned */
} pp_block_t;

static pp_block_t *arena_head;

static void *arena_realloc(void *old, size_t size) {
  pp_block_t *blk = old ? (pp_block_t *)old - 1 : NULL;
  if (blk) {
    if (blk->prev) blk->prev->next = blk->next; else arena_head = blk->next;
    if (blk->next) blk->next->prev = blk->prev;
  }
  pp_block_t *nb = (pp_block_t *)realloc(blk, sizeof(pp_block_t) + (size ? size : 1));
  if (!nb) __builtin_trap();
  nb->size = size;
  nb->prev = NULL;
  nb->next = arena_head;
  if (arena_head) arena_head->prev = nb;
  arena_head = nb;
  return nb + 1;
}

static void arena_free_all(void) {
  pp_block_t *blk = arena_head;
  while (blk) {
    pp_block_t *next = blk->next;
    free(blk);
    blk = next;
  }
  arena_head = NULL;
}

/* The host allocates lifted arguments and import results with this; alignments are at most 8. */
PP_EXPORT("cabi_realloc")
void *cabi_realloc(void *old, size_t old_size, size_t align, size_t new_size) {
  (void)old_size;
  (void)align;
  return arena_realloc(old, new_size);
}

void *pp_alloc(size_t size) { return arena_realloc(NULL, size); }

/*
 * Long-lived allocations for the WASI preview1 adapter. A plugin that uses WASI is wrapped with
 * jco's reactor adapter, which allocates its state (open files, preopens, buffers) once, through
 * the main module's realloc, and keeps it for the instance's lifetime. wit-component gives the
 * adapter `cabi_realloc_adapter` when the module exports it (else `cabi_realloc`, whose memory is
 * the call arena, freed after every call: the adapter's second call would then fail an assertion).
 * Unused (but harmless) in a plugin without WASI.
 */
PP_EXPORT("cabi_realloc_adapter")
void *cabi_realloc_adapter(void *old, size_t old_size, size_t align, size_t new_size) {
  (void)old_size;
  void *p;
  if (align <= 16) { /* malloc's alignment */
    p = realloc(old, new_size ? new_size : 1);
  } else {
    if (old) __builtin_trap(); /* the adapter never grows an over-aligned block */
    p = aligned_alloc(align, (new_size + align - 1) / align * align);
  }
  if (!p) __builtin_trap();
  return p;
}

/* ---- Strings ---- */

pp_str_t pp_str(const char *cstr) { return (pp_str_t){cstr, cstr ? strlen(cstr) : 0}; }

bool pp_str_eq(pp_str_t s, const char *cstr) {
  size_t n = strlen(cstr);
  return s.len == n && memcmp(s.ptr, cstr, n) == 0;
}

pp_str_t pp_str_dup(pp_str_t s) {
  char *p = (char *)pp_alloc(s.len);
  if (s.len) memcpy(p, s.ptr, s.len);
  return (pp_str_t){p, s.len};
}

bool pp_fail(pp_error_t *err, pp_error_code_t code, const char *message) {
  err->code = (uint8_t)code;
  err->message = pp_str_dup(pp_str(message));
  err->details.is_some = false;
  return false;
}

bool pp_fail_details(pp_error_t *err, pp_error_code_t code, pp_str_t message, pp_str_t details_json) {
  err->code = (uint8_t)code;
  err->message = pp_str_dup(message);
  err->details.is_some = details_json.ptr != NULL;
  err->details.val = details_json.ptr ? pp_str_dup(details_json) : (pp_str_t){0};
  return false;
}

/* ---- Buffers ---- */

void pp_buf_init(pp_buf_t *b) {
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
}

void pp_buf_append(pp_buf_t *b, const char *data, size_t len) {
  if (b->len + len > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 64;
    while (cap < b->len + len) cap *= 2;
    b->data = (char *)arena_realloc(b->data, cap);
    b->cap = cap;
  }
  if (len) memcpy(b->data + b->len, data, len);
  b->len += len;
}

void pp_buf_puts(pp_buf_t *b, const char *cstr) { pp_buf_append(b, cstr, strlen(cstr)); }
void pp_buf_putc(pp_buf_t *b, char c) { pp_buf_append(b, &c, 1); }
void pp_buf_str(pp_buf_t *b, pp_str_t s) { pp_buf_append(b, s.ptr, s.len); }

void pp_buf_json_string(pp_buf_t *b, pp_str_t s) {
  static const char hex[] = "0123456789abcdef";
  pp_buf_putc(b, '"');
  for (size_t i = 0; i < s.len; i++) {
    unsigned char c = (unsigned char)s.ptr[i];
    switch (c) {
      case '"': pp_buf_append(b, "\\\"", 2); break;
      case '\\': pp_buf_append(b, "\\\\", 2); break;
      case '\n': pp_buf_append(b, "\\n", 2); break;
      case '\r': pp_buf_append(b, "\\r", 2); break;
      case '\t': pp_buf_append(b, "\\t", 2); break;
      case '\b': pp_buf_append(b, "\\b", 2); break;
      case '\f': pp_buf_append(b, "\\f", 2); break;
      default:
        if (c < 0x20) {
          char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
          pp_buf_append(b, esc, 6);
        } else {
          pp_buf_putc(b, (char)c);
        }
    }
  }
  pp_buf_putc(b, '"');
}

void pp_buf_u64(pp_buf_t *b, uint64_t v) {
  char tmp[20];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n) pp_buf_putc(b, tmp[--n]);
}

void pp_buf_i64(pp_buf_t *b, int64_t v) {
  if (v < 0) {
    pp_buf_putc(b, '-');
    pp_buf_u64(b, (uint64_t)0 - (uint64_t)v);
  } else {
    pp_buf_u64(b, (uint64_t)v);
  }
}

void pp_buf_fixed(pp_buf_t *b, double v, int decimals) {
  if (v != v) { pp_buf_puts(b, "null"); return; } /* NaN is not JSON */
  if (v < 0) {
    v = -v;
    pp_buf_putc(b, '-');
  }
  uint64_t scale = 1;
  for (int i = 0; i < decimals; i++) scale *= 10;
  uint64_t scaled = (uint64_t)(v * (double)scale + 0.5);
  pp_buf_u64(b, scaled / scale);
  uint64_t frac = scaled % scale;
  if (frac == 0) return;
  char digits[20];
  for (int i = decimals - 1; i >= 0; i--) {
    digits[i] = (char)('0' + frac % 10);
    frac /= 10;
  }
  int n = decimals;
  while (n > 0 && digits[n - 1] == '0') n--;
  pp_buf_putc(b, '.');
  pp_buf_append(b, digits, (size_t)n);
}

pp_str_t pp_buf_done(const pp_buf_t *b) { return (pp_str_t){b->data ? b->data : "", b->len}; }

/* ---- JSON reading ---- */

typedef struct {
  const char *p;
  const char *end;
} pp_cur_t;

static void ws(pp_cur_t *c) {
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) c->p++;
}

static int hexval(char h) {
  if (h >= '0' && h <= '9') return h - '0';
  if (h >= 'a' && h <= 'f') return h - 'a' + 10;
  if (h >= 'A' && h <= 'F') return h - 'A' + 10;
  return -1;
}

static bool hex4(pp_cur_t *c, unsigned *out) {
  if (c->end - c->p < 4) return false;
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    int h = hexval(c->p[i]);
    if (h < 0) return false;
    v = v * 16 + (unsigned)h;
  }
  c->p += 4;
  *out = v;
  return true;
}

static void put_utf8(pp_buf_t *b, unsigned cp) {
  char u[4];
  if (cp < 0x80) {
    pp_buf_putc(b, (char)cp);
  } else if (cp < 0x800) {
    u[0] = (char)(0xC0 | (cp >> 6));
    u[1] = (char)(0x80 | (cp & 0x3F));
    pp_buf_append(b, u, 2);
  } else if (cp < 0x10000) {
    u[0] = (char)(0xE0 | (cp >> 12));
    u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    u[2] = (char)(0x80 | (cp & 0x3F));
    pp_buf_append(b, u, 3);
  } else {
    u[0] = (char)(0xF0 | (cp >> 18));
    u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    u[3] = (char)(0x80 | (cp & 0x3F));
    pp_buf_append(b, u, 4);
  }
}

/* A string at the cursor (after the opening quote is checked here); unescapes into b when b != NULL. */
static bool read_string(pp_cur_t *c, pp_buf_t *b) {
  if (c->p >= c->end || *c->p != '"') return false;
  c->p++;
  while (c->p < c->end) {
    char ch = *c->p++;
    if (ch == '"') return true;
    if ((unsigned char)ch < 0x20) return false;
    if (ch != '\\') {
      if (b) pp_buf_putc(b, ch);
      continue;
    }
    if (c->p >= c->end) return false;
    char e = *c->p++;
    char lit;
    switch (e) {
      case '"': lit = '"'; break;
      case '\\': lit = '\\'; break;
      case '/': lit = '/'; break;
      case 'b': lit = '\b'; break;
      case 'f': lit = '\f'; break;
      case 'n': lit = '\n'; break;
      case 'r': lit = '\r'; break;
      case 't': lit = '\t'; break;
      case 'u': {
        unsigned cp;
        if (!hex4(c, &cp)) return false;
        if (cp >= 0xD800 && cp < 0xDC00 && c->end - c->p >= 6 && c->p[0] == '\\' && c->p[1] == 'u') {
          pp_cur_t save = *c;
          c->p += 2;
          unsigned lo;
          if (hex4(c, &lo) && lo >= 0xDC00 && lo < 0xE000) cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          else *c = save;
        }
        if (cp >= 0xD800 && cp < 0xE000) cp = 0xFFFD; /* a lone surrogate */
        if (b) put_utf8(b, cp);
        continue;
      }
      default: return false;
    }
    if (b) pp_buf_putc(b, lit);
  }
  return false;
}

static bool skip_value(pp_cur_t *c, int depth);

static bool skip_container(pp_cur_t *c, char close, bool object, int depth) {
  c->p++;
  ws(c);
  if (c->p < c->end && *c->p == close) {
    c->p++;
    return true;
  }
  for (;;) {
    if (object) {
      ws(c);
      if (!read_string(c, NULL)) return false;
      ws(c);
      if (c->p >= c->end || *c->p != ':') return false;
      c->p++;
    }
    if (!skip_value(c, depth + 1)) return false;
    ws(c);
    if (c->p >= c->end) return false;
    if (*c->p == ',') { c->p++; continue; }
    if (*c->p == close) { c->p++; return true; }
    return false;
  }
}

static bool skip_value(pp_cur_t *c, int depth) {
  if (depth > 64) return false;
  ws(c);
  if (c->p >= c->end) return false;
  char ch = *c->p;
  if (ch == '"') return read_string(c, NULL);
  if (ch == '{') return skip_container(c, '}', true, depth);
  if (ch == '[') return skip_container(c, ']', false, depth);
  const char *start = c->p;
  while (c->p < c->end && (( *c->p >= 'a' && *c->p <= 'z') || (*c->p >= '0' && *c->p <= '9') || *c->p == '-' || *c->p == '+' || *c->p == '.' || *c->p == 'E')) c->p++;
  return c->p > start;
}

/* Position the cursor at the value of top-level field `key`: 1 found, 0 missing, -1 bad JSON. */
static int find_field(pp_str_t json, const char *key, pp_cur_t *c) {
  c->p = json.ptr;
  c->end = json.ptr + json.len;
  ws(c);
  if (c->p >= c->end || *c->p != '{') return -1;
  c->p++;
  ws(c);
  if (c->p < c->end && *c->p == '}') return 0;
  for (;;) {
    ws(c);
    pp_buf_t name;
    pp_buf_init(&name);
    if (!read_string(c, &name)) return -1;
    ws(c);
    if (c->p >= c->end || *c->p != ':') return -1;
    c->p++;
    ws(c);
    if (pp_str_eq(pp_buf_done(&name), key)) return 1;
    if (!skip_value(c, 1)) return -1;
    ws(c);
    if (c->p >= c->end) return -1;
    if (*c->p == ',') { c->p++; continue; }
    if (*c->p == '}') return 0;
    return -1;
  }
}

int pp_json_get_string(pp_str_t json, const char *key, pp_str_t *out) {
  pp_cur_t c;
  int found = find_field(json, key, &c);
  if (found <= 0) return found;
  pp_buf_t b;
  pp_buf_init(&b);
  if (!read_string(&c, &b)) return -1;
  *out = pp_buf_done(&b);
  return 1;
}

int pp_json_get_number(pp_str_t json, const char *key, double *out) {
  pp_cur_t c;
  int found = find_field(json, key, &c);
  if (found <= 0) return found;
  const char *p = c.p;
  double sign = 1, v = 0;
  if (p < c.end && *p == '-') { sign = -1; p++; }
  if (p >= c.end || *p < '0' || *p > '9') return -1;
  while (p < c.end && *p >= '0' && *p <= '9') v = v * 10 + (*p++ - '0');
  if (p < c.end && *p == '.') {
    double f = 0.1;
    p++;
    while (p < c.end && *p >= '0' && *p <= '9') { v += (*p++ - '0') * f; f /= 10; }
  }
  if (p < c.end && (*p == 'e' || *p == 'E')) {
    p++;
    int es = 1, e = 0;
    if (p < c.end && (*p == '+' || *p == '-')) { if (*p == '-') es = -1; p++; }
    while (p < c.end && *p >= '0' && *p <= '9') e = e * 10 + (*p++ - '0');
    while (e-- > 0) v = es > 0 ? v * 10 : v / 10;
  }
  *out = sign * v;
  return 1;
}

/* ---- Imports: pocket:plugin/host@0.2.1, flattened ---- */

/* log: func(level: log-level, message: string, fields: option<json>) */
PP_IMPORT("log") extern void pp__host_log(int32_t level, int32_t msg_ptr, int32_t msg_len, int32_t has_fields, int32_t fields_ptr, int32_t fields_len);
/* store-get: func(key: string) -> option<json>   (result in memory: retptr -> pp_opt_str_t) */
PP_IMPORT("store-get") extern void pp__host_store_get(int32_t key_ptr, int32_t key_len, int32_t ret);
/* store-set: func(key: string, value: json) */
PP_IMPORT("store-set") extern void pp__host_store_set(int32_t key_ptr, int32_t key_len, int32_t val_ptr, int32_t val_len);
/* store-delete: func(key: string) -> bool */
PP_IMPORT("store-delete") extern int32_t pp__host_store_delete(int32_t key_ptr, int32_t key_len);
/* now: func() -> u64 */
PP_IMPORT("now") extern int64_t pp__host_now(void);
/* cancelled: func() -> bool */
PP_IMPORT("cancelled") extern int32_t pp__host_cancelled(void);

#define I32(p) ((int32_t)(uintptr_t)(p))

void pp_log_str(pp_log_level_t level, pp_str_t message, pp_str_t fields) {
  pp__host_log((int32_t)level, I32(message.ptr), (int32_t)message.len, fields.ptr != NULL, I32(fields.ptr), (int32_t)fields.len);
}

void pp_log(pp_log_level_t level, const char *message) { pp_log_str(level, pp_str(message), (pp_str_t){0}); }

bool pp_store_get(pp_str_t key, pp_str_t *out) {
  pp_opt_str_t ret = {0};
  pp__host_store_get(I32(key.ptr), (int32_t)key.len, I32(&ret));
  if (!ret.is_some) return false;
  *out = ret.val; /* allocated through cabi_realloc: in the call arena */
  return true;
}

void pp_store_set(pp_str_t key, pp_str_t value_json) {
  pp__host_store_set(I32(key.ptr), (int32_t)key.len, I32(value_json.ptr), (int32_t)value_json.len);
}

bool pp_store_delete(pp_str_t key) { return pp__host_store_delete(I32(key.ptr), (int32_t)key.len) != 0; }
uint64_t pp_now(void) { return (uint64_t)pp__host_now(); }
bool pp_cancelled(void) { return pp__host_cancelled() != 0; }

/* ---- Default phases (weak: the author's definitions win) ---- */

__attribute__((weak)) bool pp_prep(const pp_call_t *call, pp_str_t *out, pp_error_t *err) {
  (void)err;
  *out = call->input;
  return true;
}

__attribute__((weak)) bool pp_post(const pp_call_t *call, pp_post_result_t *out, pp_error_t *err) {
  (void)err;
  out->output = call->exec_result;
  out->next = PP_STR("default");
  return true;
}

__attribute__((weak)) void pp_metadata(pp_metadata_t *meta) { (void)meta; }

/* ---- Exports: pocket:plugin/node@0.2.1 ---- */

static pp_metadata_t metadata;
static bool metadata_ready;

static const pp_metadata_t *get_metadata(void) {
  if (!metadata_ready) {
    metadata = pp_manifest;
    pp_metadata(&metadata);
    metadata_ready = true;
  }
  return &metadata;
}

/* metadata: func() -> plugin-metadata. The record is returned in place (its layout is the
 * canonical one); it is long-lived, so post-return frees only the call arena. */
PP_EXPORT("pocket:plugin/node@" PP_WIT_VERSION "#metadata")
const pp_metadata_t *pp__export_metadata(void) { return get_metadata(); }

PP_EXPORT("cabi_post_pocket:plugin/node@" PP_WIT_VERSION "#metadata")
void pp__post_metadata(int32_t ret) {
  (void)ret;
  arena_free_all();
}

/* The return area of prep/exec/post: result<json | post-result, node-error> (size 28). */
typedef struct {
  uint8_t is_err;
  union {
    pp_str_t ok;
    pp_post_result_t post;
    pp_error_t err;
  } val;
} pp_ret_t;

_Static_assert(sizeof(pp_ret_t) == 28 && offsetof(pp_ret_t, val) == 4, "result<_, node-error>");

static pp_ret_t ret_area;

static pp_str_t arg(int32_t ptr, int32_t len) { return (pp_str_t){(const char *)(uintptr_t)ptr, (size_t)len}; }

static bool known_node(pp_str_t node_type, pp_error_t *err) {
  const pp_metadata_t *m = get_metadata();
  for (size_t i = 0; i < m->nodes.len; i++) {
    pp_str_t t = m->nodes.ptr[i].node_type;
    if (t.len == node_type.len && memcmp(t.ptr, node_type.ptr, t.len) == 0) return true;
  }
  pp_buf_t b;
  pp_buf_init(&b);
  pp_buf_puts(&b, "no node type \"");
  pp_buf_str(&b, node_type);
  pp_buf_puts(&b, "\" in ");
  pp_buf_str(&b, m->name);
  pp_buf_puts(&b, " (it offers: ");
  for (size_t i = 0; i < m->nodes.len; i++) {
    if (i) pp_buf_puts(&b, ", ");
    pp_buf_str(&b, m->nodes.ptr[i].node_type);
  }
  pp_buf_puts(&b, ")");
  return pp_fail_details(err, PP_NOT_FOUND, pp_buf_done(&b), (pp_str_t){0});
}

static void finish(bool ok, pp_error_t *err) {
  if (ok) {
    ret_area.is_err = 0;
    return;
  }
  ret_area.is_err = 1;
  if (err->code > PP_PERMISSION_DENIED) err->code = PP_PLUGIN_ERROR;
  if (!err->message.ptr) err->message = PP_STR("the node failed without a message");
  ret_area.val.err = *err;
}

static pp_error_t fresh_error(void) { return (pp_error_t){PP_PLUGIN_ERROR, {NULL, 0}, {false, {NULL, 0}}}; }

/* prep: func(node-type: string, config: json, input: json) -> result<json, node-error> */
PP_EXPORT("pocket:plugin/node@" PP_WIT_VERSION "#prep")
pp_ret_t *pp__export_prep(int32_t t, int32_t tl, int32_t c, int32_t cl, int32_t i, int32_t il) {
  pp_call_t call = {PP_PREP, arg(t, tl), arg(c, cl), arg(i, il), {"", 0}, {"", 0}};
  pp_error_t err = fresh_error();
  pp_str_t out = {"", 0};
  bool ok = known_node(call.node_type, &err) && pp_prep(&call, &out, &err);
  if (ok) ret_area.val.ok = out;
  finish(ok, &err);
  return &ret_area;
}

/* exec: func(node-type: string, config: json, prep-result: json) -> result<json, node-error> */
PP_EXPORT("pocket:plugin/node@" PP_WIT_VERSION "#exec")
pp_ret_t *pp__export_exec(int32_t t, int32_t tl, int32_t c, int32_t cl, int32_t p, int32_t pl) {
  pp_call_t call = {PP_EXEC, arg(t, tl), arg(c, cl), {"", 0}, arg(p, pl), {"", 0}};
  pp_error_t err = fresh_error();
  pp_str_t out = {"", 0};
  bool ok = known_node(call.node_type, &err) && pp_exec(&call, &out, &err);
  if (ok) ret_area.val.ok = out;
  finish(ok, &err);
  return &ret_area;
}

/* post: func(node-type, config, input, prep-result, exec-result) -> result<post-result, node-error> */
PP_EXPORT("pocket:plugin/node@" PP_WIT_VERSION "#post")
pp_ret_t *pp__export_post(int32_t t, int32_t tl, int32_t c, int32_t cl, int32_t i, int32_t il, int32_t p, int32_t pl, int32_t e, int32_t el) {
  pp_call_t call = {PP_POST, arg(t, tl), arg(c, cl), arg(i, il), arg(p, pl), arg(e, el)};
  pp_error_t err = fresh_error();
  pp_post_result_t out = {{"", 0}, {"", 0}};
  bool ok = known_node(call.node_type, &err) && pp_post(&call, &out, &err);
  if (ok) {
    if (!out.output.ptr) out.output = PP_STR("null");
    if (!out.next.ptr) out.next = PP_STR("");
    ret_area.val.post = out;
  }
  finish(ok, &err);
  return &ret_area;
}

PP_EXPORT("cabi_post_pocket:plugin/node@" PP_WIT_VERSION "#prep")
void pp__post_prep(int32_t ret) {
  (void)ret;
  arena_free_all();
}

PP_EXPORT("cabi_post_pocket:plugin/node@" PP_WIT_VERSION "#exec")
void pp__post_exec(int32_t ret) {
  (void)ret;
  arena_free_all();
}

PP_EXPORT("cabi_post_pocket:plugin/node@" PP_WIT_VERSION "#post")
void pp__post_post(int32_t ret) {
  (void)ret;
  arena_free_all();
}
