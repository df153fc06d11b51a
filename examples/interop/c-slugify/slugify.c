/*
 * interop-slugify: a Pocket plugin in one self-contained C file, built with upstream tools only:
 * clang (wasm32-wasi, reactor) for the core module, then jco's component tools
 * (`jco embed` puts the WIT world in, `jco new --wasi-reactor` makes the component).
 * No pocket-wit build, no pocket-wit SDK, no wit-bindgen: the canonical-ABI glue for the world
 * `pocket:plugin/plugin@0.2.1` (wit/v0.2.1) is written by hand below.
 *
 * What the world asks of a core module (canonical ABI, wasm32):
 * - exports named `pocket:plugin/node@0.2.1#<function>` for metadata, prep, exec and post;
 *   a `string` parameter arrives as two i32 (pointer, length), allocated by the host through
 *   our `cabi_realloc` and owned by us from then on (we free it);
 * - a result that does not fit in one value (a record, a `result<…>`) is written to memory and
 *   its address returned; the host reads it, then calls `cabi_post_<export>` with that address,
 *   where we free what the result points to;
 * - the layouts below are the canonical ones: `string` = {ptr, len} (8 bytes); `option<T>` = a
 *   tag byte then T at T's alignment; `list<T>` = {ptr, len}; enums are one byte; records are
 *   their fields in order, each at its alignment; `result<T, E>` = a tag byte (0 ok, 1 err) then
 *   the payload at offset 4. The _Static_asserts check each size.
 *
 * The plugin imports nothing from `pocket:plugin/host` (a world's imports are offered, not
 * required). It reads the environment variable SLUG_SEPARATOR with getenv(): wasi-libc turns
 * that into the WASI preview1 import `environ_get`, which the reactor adapter maps to
 * `wasi:cli/environment`. Its metadata asks for that variable, so `pocket-wit install` asks for
 * consent to it, and the host shows the plugin that variable only when it is granted.
 *
 * Build: examples/interop/c-slugify/build.sh (see docs/INTEROP.md#recipes).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT(name) __attribute__((export_name(name)))
#define NODE "pocket:plugin/node@0.2.1#"

/* ---- Canonical-ABI layouts of the WIT types (wit/v0.2.1/types.wit) ---- */

typedef struct { const char *ptr; size_t len; } str_t;                 /* string, json */
typedef struct { uint8_t is_some; str_t val; } opt_str_t;               /* option<string> */
typedef struct { const str_t *ptr; size_t len; } str_list_t;            /* list<string> */

typedef struct {                                                        /* node-example */
  str_t name, description;
  opt_str_t config;
  str_t input;
  opt_str_t output;
} example_t;

typedef struct {                                                        /* node-definition */
  str_t node_type, category, description;
  opt_str_t config_schema, input_schema, output_schema;
  struct { const example_t *ptr; size_t len; } examples;
} node_def_t;

typedef struct {                                                        /* permissions */
  opt_str_t memory, timeout;
  str_list_t env, filesystem, network;
} permissions_t;

typedef struct {                                                        /* plugin-metadata */
  str_t name, version, description;
  opt_str_t author, license;
  struct { const node_def_t *ptr; size_t len; } nodes;
  permissions_t permissions;
} metadata_t;

enum { PLUGIN_ERROR = 0, INVALID_INPUT = 1, NOT_FOUND = 2, PERMISSION_DENIED = 3 }; /* error-code */

typedef struct { uint8_t code; str_t message; opt_str_t details; } node_error_t; /* node-error */
typedef struct { str_t output, next; } post_result_t;                   /* post-result */

typedef struct {                                  /* result<json, node-error>, result<post-result, node-error> */
  uint8_t is_err;
  union { str_t ok; post_result_t post; node_error_t err; } val;
} ret_t;

_Static_assert(sizeof(str_t) == 8 && sizeof(opt_str_t) == 12, "string, option<string>");
_Static_assert(sizeof(example_t) == 48 && sizeof(node_def_t) == 68, "node-example, node-definition");
_Static_assert(sizeof(permissions_t) == 48 && sizeof(metadata_t) == 104, "permissions, plugin-metadata");
_Static_assert(sizeof(node_error_t) == 24 && sizeof(ret_t) == 28 && offsetof(ret_t, val) == 4, "result<_, node-error>");

#define S(lit) ((str_t){lit, sizeof(lit) - 1})
#define SOME(lit) ((opt_str_t){1, S(lit)})
#define NONE ((opt_str_t){0, {0, 0}})

/* ---- Metadata: everything the host learns about the plugin (it calls metadata() once) ---- */

/* Each example names its separator: with SLUG_SEPARATOR granted and set, the default would change
 * the result, and `pocket-wit test` / `install` run the examples under the granted permissions. */
static const example_t examples[] = {
  {S("hello"), S("Two words, punctuation dropped"), SOME("{\"separator\":\"-\"}"), S("{\"text\":\"Hello, World!\"}"), SOME("{\"slug\":\"hello-world\",\"words\":2}")},
  {S("underscore"), S("A separator from the config"), SOME("{\"separator\":\"_\"}"), S("{\"text\":\"C to Wasm\"}"), SOME("{\"slug\":\"c_to_wasm\",\"words\":3}")},
};

static const node_def_t nodes[] = {{
  S("slugify"), S("text"),
  S("Turns input.text into a URL slug: lowercase ASCII letters and digits joined by config.separator (else $SLUG_SEPARATOR if granted, else \"-\")"),
  SOME("{\"type\":\"object\",\"properties\":{\"separator\":{\"type\":\"string\",\"maxLength\":4}}}"),
  SOME("{\"type\":\"object\",\"properties\":{\"text\":{\"type\":\"string\"}},\"required\":[\"text\"]}"),
  SOME("{\"type\":\"object\",\"properties\":{\"slug\":{\"type\":\"string\"},\"words\":{\"type\":\"integer\"}},\"required\":[\"slug\",\"words\"]}"),
  {examples, 2},
}};

static const str_t env_names[] = {S("SLUG_SEPARATOR")};

static const metadata_t metadata = {
  S("interop-slugify"), S("1.0.0"), S("URL slugs; hand-written C against the canonical ABI, wrapped with jco"),
  SOME("Pocket Team"), SOME("MIT"),
  {nodes, 1},
  {SOME("16MB"), SOME("2s"), {env_names, 1}, {0, 0}, {0, 0}},
};

/* ---- Memory: the host allocates arguments with cabi_realloc ---- */

EXPORT("cabi_realloc")
void *cabi_realloc(void *old, size_t old_size, size_t align, size_t new_size) {
  (void)old_size;
  (void)align; /* malloc aligns to 16, more than any WIT type needs */
  void *p = realloc(old, new_size ? new_size : 1); /* never NULL for an empty string: we free() it */
  if (!p) abort();
  return p;
}

/* ---- A little JSON: read one top-level field of an object, write an escaped string ---- */

static const char *skip_ws(const char *p, const char *end) {
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
  return p;
}

/* Skips a JSON string starting at the quote; returns the position after the closing quote. */
static const char *skip_string(const char *p, const char *end) {
  for (p++; p < end; p++) {
    if (*p == '\\') p++;
    else if (*p == '"') return p + 1;
  }
  return NULL;
}

/* Skips any JSON value; NULL if malformed. */
static const char *skip_value(const char *p, const char *end) {
  p = skip_ws(p, end);
  if (p >= end) return NULL;
  if (*p == '"') return skip_string(p, end);
  if (*p == '{' || *p == '[') {
    int depth = 0;
    while (p < end) {
      if (*p == '"') { p = skip_string(p, end); if (!p) return NULL; continue; }
      if (*p == '{' || *p == '[') depth++;
      else if (*p == '}' || *p == ']') { if (--depth == 0) return p + 1; }
      p++;
    }
    return NULL;
  }
  while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n') p++;
  return p;
}

/* The raw value of top-level field `key` of the JSON object `json` (not decoded), if present. */
static bool json_field(str_t json, const char *key, str_t *value) {
  const char *p = json.ptr, *end = json.ptr + json.len;
  size_t klen = strlen(key);
  p = skip_ws(p, end);
  if (p >= end || *p != '{') return false;
  p++;
  for (;;) {
    p = skip_ws(p, end);
    if (p >= end || *p != '"') return false;
    const char *k = p + 1, *after = skip_string(p, end);
    if (!after) return false;
    bool match = (size_t)(after - 1 - k) == klen && memcmp(k, key, klen) == 0;
    p = skip_ws(after, end);
    if (p >= end || *p != ':') return false;
    const char *v = skip_ws(p + 1, end), *vend = skip_value(v, end);
    if (!vend) return false;
    if (match) { *value = (str_t){v, (size_t)(vend - v)}; return true; }
    p = skip_ws(vend, end);
    if (p < end && *p == ',') { p++; continue; }
    return false;
  }
}

/* Decodes a JSON string value (with its quotes) into malloc'd UTF-8; false if it is not a string. */
static bool json_string(str_t raw, char **out, size_t *out_len) {
  if (raw.len < 2 || raw.ptr[0] != '"') return false;
  char *buf = malloc(raw.len * 2 + 1), *w = buf;
  for (size_t i = 1; i + 1 < raw.len; i++) {
    char c = raw.ptr[i];
    if (c != '\\') { *w++ = c; continue; }
    c = raw.ptr[++i];
    switch (c) {
      case 'n': *w++ = '\n'; break;
      case 't': *w++ = '\t'; break;
      case 'r': *w++ = '\r'; break;
      case 'b': *w++ = '\b'; break;
      case 'f': *w++ = '\f'; break;
      case 'u': { /* \uXXXX: encoded as UTF-8 (surrogate pairs are left as two code points) */
        unsigned cp = 0;
        for (int k = 0; k < 4 && i + 1 < raw.len; k++) {
          char h = raw.ptr[++i];
          cp = cp * 16 + (unsigned)(h >= 'a' ? h - 'a' + 10 : h >= 'A' ? h - 'A' + 10 : h - '0');
        }
        if (cp < 0x80) *w++ = (char)cp;
        else if (cp < 0x800) { *w++ = (char)(0xc0 | cp >> 6); *w++ = (char)(0x80 | (cp & 0x3f)); }
        else { *w++ = (char)(0xe0 | cp >> 12); *w++ = (char)(0x80 | ((cp >> 6) & 0x3f)); *w++ = (char)(0x80 | (cp & 0x3f)); }
        break;
      }
      default: *w++ = c; /* \" \\ \/ */
    }
  }
  *w = 0;
  *out = buf;
  *out_len = (size_t)(w - buf);
  return true;
}

/* Appends `s` to `w` as the inside of a JSON string. */
static char *json_escape(char *w, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') { *w++ = '\\'; *w++ = (char)c; }
    else if (c < 0x20) {
      static const char hex[] = "0123456789abcdef";
      memcpy(w, "\\u00", 4);
      w[4] = hex[c >> 4];
      w[5] = hex[c & 15];
      w += 6;
    }
    else *w++ = (char)c;
  }
  return w;
}

/* Writes n (>= 0) in decimal; returns the end. */
static char *decimal(char *w, int n) {
  char digits[12];
  int k = 0;
  do digits[k++] = (char)('0' + n % 10); while ((n /= 10) > 0);
  while (k > 0) *w++ = digits[--k];
  return w;
}

/* ---- The node ---- */

static ret_t ret_area; /* where results are written; its address is returned */
static void *to_free;  /* what the current result points to, freed in cabi_post_* */

static ret_t *fail(uint8_t code, const char *message) {
  ret_area.is_err = 1;
  ret_area.val.err = (node_error_t){code, {message, strlen(message)}, NONE};
  return &ret_area;
}

static ret_t *ok(char *json, size_t len) {
  to_free = json;
  ret_area.is_err = 0;
  ret_area.val.ok = (str_t){json, len};
  return &ret_area;
}

static bool is_node(const char *t, size_t tl) { return tl == 7 && memcmp(t, "slugify", 7) == 0; }

EXPORT(NODE "metadata")
const metadata_t *export_metadata(void) { return &metadata; } /* static: nothing to free */

/* prep: func(node-type: string, config: json, input: json) -> result<json, node-error>
 * Reads input.text; its result, the text as a JSON string, is what exec gets. */
EXPORT(NODE "prep")
ret_t *export_prep(char *t, size_t tl, char *c, size_t cl, char *i, size_t il) {
  ret_t *r;
  str_t raw;
  char *text;
  size_t n;
  if (!is_node(t, tl)) r = fail(NOT_FOUND, "no such node type (this plugin has: slugify)");
  else if (!json_field((str_t){i, il}, "text", &raw) || !json_string(raw, &text, &n)) r = fail(INVALID_INPUT, "input.text must be a string");
  else {
    char *out = malloc(n * 6 + 3), *w = out;
    *w++ = '"';
    w = json_escape(w, text, n);
    *w++ = '"';
    free(text);
    r = ok(out, (size_t)(w - out));
  }
  free(t), free(c), free(i); /* the arguments are ours to free */
  return r;
}

/* exec: func(node-type: string, config: json, prep-result: json) -> result<json, node-error> */
EXPORT(NODE "exec")
ret_t *export_exec(char *t, size_t tl, char *c, size_t cl, char *p, size_t pl) {
  ret_t *r;
  char *text = NULL, *sep = NULL;
  size_t n, sepn;
  str_t raw;
  if (!is_node(t, tl)) r = fail(NOT_FOUND, "no such node type (this plugin has: slugify)");
  else if (!json_string((str_t){p, pl}, &text, &n)) r = fail(PLUGIN_ERROR, "prep result is not a JSON string");
  else {
    if (!(json_field((str_t){c, cl}, "separator", &raw) && json_string(raw, &sep, &sepn))) {
      const char *env = getenv("SLUG_SEPARATOR"); /* NULL unless the host granted it */
      sep = strdup(env ? env : "-");
      sepn = strlen(sep);
    }
    char *slug = malloc(n * (sepn + 1) + 1), *w = slug;
    int words = 0;
    bool in_word = false;
    for (size_t k = 0; k < n; k++) {
      char ch = text[k];
      if (ch >= 'A' && ch <= 'Z') ch = (char)(ch - 'A' + 'a');
      bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
      if (alnum && !in_word) {
        if (words++) { memcpy(w, sep, sepn); w += sepn; }
      }
      if (alnum) *w++ = ch;
      in_word = alnum;
    }
    char *out = malloc((size_t)(w - slug) * 6 + 64), *o = out;
    memcpy(o, "{\"slug\":\"", 9);
    o = json_escape(o + 9, slug, (size_t)(w - slug));
    memcpy(o, "\",\"words\":", 10);
    o = decimal(o + 10, words);
    *o++ = '}';
    free(slug);
    r = ok(out, (size_t)(o - out));
  }
  free(text), free(sep);
  free(t), free(c), free(p);
  return r;
}

/* post: func(node-type, config, input, prep-result, exec-result) -> result<post-result, node-error>
 * The output is exec's; the action is "empty" when the text had no words, else "default". */
EXPORT(NODE "post")
ret_t *export_post(char *t, size_t tl, char *c, size_t cl, char *i, size_t il, char *p, size_t pl, char *e, size_t el) {
  ret_t *r = &ret_area;
  str_t words;
  if (!is_node(t, tl)) r = fail(NOT_FOUND, "no such node type (this plugin has: slugify)");
  else {
    bool none = json_field((str_t){e, el}, "words", &words) && words.len == 1 && words.ptr[0] == '0';
    to_free = e; /* the output points into exec-result: keep it until cabi_post */
    e = NULL;
    ret_area.is_err = 0;
    ret_area.val.post = (post_result_t){{to_free, el}, none ? S("empty") : S("default")};
  }
  free(t), free(c), free(i), free(p), free(e);
  return r;
}

static void post_return(void) {
  free(to_free);
  to_free = NULL;
}

EXPORT("cabi_post_" NODE "prep") void post_prep(ret_t *r) { (void)r; post_return(); }
EXPORT("cabi_post_" NODE "exec") void post_exec(ret_t *r) { (void)r; post_return(); }
EXPORT("cabi_post_" NODE "post") void post_post(ret_t *r) { (void)r; post_return(); }
