//! interop-reverse: a Pocket plugin in one Rust file, compiled by plain `rustc` for
//! `wasm32-unknown-unknown` (no cargo, no crates, no wit-bindgen, no WASI), then made a component
//! with jco's component tools (`jco embed`, `jco new`). pocket-wit builds nothing here.
//!
//! The canonical-ABI glue for the world `pocket:plugin/plugin@0.2.1` (wit/v0.2.1) is written by
//! hand, as wit-bindgen would generate it:
//! - exports named `pocket:plugin/node@0.2.1#<function>`; a `string` argument arrives as
//!   (pointer, length), allocated by the host through our `cabi_realloc` with alignment 1, so it
//!   is exactly a `Vec<u8>` of that length and capacity, which we take over (and so free);
//! - records and results are returned through memory: we write them to a static return area and
//!   return its address; the host reads them and then calls `cabi_post_<export>`, where we free
//!   the strings they point to;
//! - imports of `pocket:plugin/host@0.2.1` take their arguments flattened (an enum is an i32, a
//!   string two i32s, an `option<string>` a tag and two i32s); `store-get` returns an
//!   `option<json>`, too big to return flat, so it takes one more argument: where to write it
//!   (tag byte at 0, pointer at 4, length at 8), its string allocated through our `cabi_realloc`.
//!
//! The node `reverse` reverses input.text; its `post` counts calls in the workflow's shared store
//! (`store-get`, `store-set`) and logs through the host (`log`), and picks the action
//! `palindrome` when the text reads the same both ways.
//!
//! Build: examples/interop/rust-reverse/build.sh (see docs/INTEROP.md#recipes).
#![allow(clippy::missing_safety_doc)]

use std::alloc::{alloc, dealloc, realloc, Layout};

// ---- Canonical-ABI layouts (wasm32): string = {ptr, len}; option<T> = tag byte, T at its alignment ----

#[repr(C)]
#[derive(Clone, Copy)]
pub struct Str { ptr: *const u8, len: usize }

#[repr(C)]
#[derive(Clone, Copy)]
pub struct OptStr { is_some: u8, val: Str }

#[repr(C)]
pub struct List<T> { ptr: *const T, len: usize }

#[repr(C)]
pub struct Example { name: Str, description: Str, config: OptStr, input: Str, output: OptStr }

#[repr(C)]
pub struct NodeDef { node_type: Str, category: Str, description: Str, config_schema: OptStr, input_schema: OptStr, output_schema: OptStr, examples: List<Example> }

#[repr(C)]
pub struct Permissions { memory: OptStr, timeout: OptStr, env: List<Str>, filesystem: List<Str>, network: List<Str> }

#[repr(C)]
pub struct Metadata { name: Str, version: Str, description: Str, author: OptStr, license: OptStr, nodes: List<NodeDef>, permissions: Permissions }

#[repr(C)]
#[derive(Clone, Copy)]
pub struct NodeError { code: u8, message: Str, details: OptStr }

#[repr(C)]
#[derive(Clone, Copy)]
pub struct PostResult { output: Str, next: Str }

#[repr(C)]
pub union Payload { ok: Str, post: PostResult, err: NodeError }

/// `result<json, node-error>` and `result<post-result, node-error>`: tag byte, payload at 4.
#[repr(C)]
pub struct Ret { is_err: u8, val: Payload }

const _: () = assert!(std::mem::size_of::<Metadata>() == 104 && std::mem::size_of::<NodeDef>() == 68 && std::mem::size_of::<Example>() == 48);
const _: () = assert!(std::mem::size_of::<Ret>() == 28 && std::mem::size_of::<Permissions>() == 48);

// error-code
const INVALID_INPUT: u8 = 1;
const NOT_FOUND: u8 = 2;

const fn s(text: &'static str) -> Str { Str { ptr: text.as_ptr(), len: text.len() } }
const fn some(text: &'static str) -> OptStr { OptStr { is_some: 1, val: s(text) } }
const NONE: OptStr = OptStr { is_some: 0, val: Str { ptr: std::ptr::null(), len: 0 } };

// ---- Imports: pocket:plugin/host@0.2.1 ----

#[link(wasm_import_module = "pocket:plugin/host@0.2.1")]
extern "C" {
    #[link_name = "log"]
    fn host_log(level: i32, msg_ptr: *const u8, msg_len: usize, has_fields: i32, fields_ptr: *const u8, fields_len: usize);
    #[link_name = "store-get"]
    fn host_store_get(key_ptr: *const u8, key_len: usize, ret: *mut OptStr);
    #[link_name = "store-set"]
    fn host_store_set(key_ptr: *const u8, key_len: usize, value_ptr: *const u8, value_len: usize);
}

const LOG_INFO: i32 = 1; // log-level: debug, info, warn, error

fn store_get(key: &str) -> Option<String> {
    let mut ret = NONE;
    unsafe { host_store_get(key.as_ptr(), key.len(), &mut ret) };
    if ret.is_some == 0 { return None; }
    // Allocated through cabi_realloc with alignment 1: ours now.
    Some(unsafe { owned(ret.val.ptr as *mut u8, ret.val.len) })
}

fn store_set(key: &str, json: &str) { unsafe { host_store_set(key.as_ptr(), key.len(), json.as_ptr(), json.len()) } }

fn log_info(message: &str) { unsafe { host_log(LOG_INFO, message.as_ptr(), message.len(), 0, std::ptr::null(), 0) } }

// ---- Memory ----

#[no_mangle]
pub unsafe extern "C" fn cabi_realloc(old: *mut u8, old_size: usize, align: usize, new_size: usize) -> *mut u8 {
    if new_size == 0 {
        if !old.is_null() && old_size != 0 { dealloc(old, Layout::from_size_align_unchecked(old_size, align)); }
        return align as *mut u8; // a dangling, aligned pointer, as Vec uses for empty buffers
    }
    let p = if old.is_null() || old_size == 0 {
        alloc(Layout::from_size_align_unchecked(new_size, align))
    } else {
        realloc(old, Layout::from_size_align_unchecked(old_size, align), new_size)
    };
    if p.is_null() { std::process::abort(); }
    p
}

/// Takes over a string the host allocated with cabi_realloc(_, _, 1, len) (an empty one may come
/// with any pointer, allocated or not: nothing to take over).
unsafe fn owned(ptr: *mut u8, len: usize) -> String {
    if len == 0 { return String::new(); }
    String::from_utf8_unchecked(Vec::from_raw_parts(ptr, len, len))
}

unsafe fn arg(ptr: *mut u8, len: usize) -> String { owned(ptr, len) }

static mut RET: Ret = Ret { is_err: 0, val: Payload { ok: Str { ptr: std::ptr::null(), len: 0 } } };
/// The strings the current result points to, freed in cabi_post_*.
static mut KEEP: Vec<String> = Vec::new();

unsafe fn keep(text: String) -> Str {
    let str = Str { ptr: text.as_ptr(), len: text.len() };
    KEEP.push(text);
    str
}

unsafe fn ok(json: String) -> *const Ret {
    RET.is_err = 0;
    RET.val.ok = keep(json);
    &RET
}

unsafe fn fail(code: u8, message: String) -> *const Ret {
    RET.is_err = 1;
    RET.val.err = NodeError { code, message: keep(message), details: NONE };
    &RET
}

// ---- JSON, just enough: one top-level string field; escaping ----

/// The value of the top-level string field `key` of a JSON object (decoded), if there is one.
fn string_field(json: &str, key: &str) -> Option<String> {
    let b = json.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') { return None; }
    i += 1;
    loop {
        i = skip_ws(b, i);
        let (k, after) = read_string(b, i)?;
        i = skip_ws(b, after);
        if b.get(i) != Some(&b':') { return None; }
        i = skip_ws(b, i + 1);
        if k == key { return read_string(b, i).map(|(v, _)| v); }
        i = skip_value(b, i)?;
        i = skip_ws(b, i);
        if b.get(i) != Some(&b',') { return None; }
        i += 1;
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b" \t\r\n".contains(&b[i]) { i += 1; }
    i
}

fn read_string(b: &[u8], i: usize) -> Option<(String, usize)> {
    if b.get(i) != Some(&b'"') { return None; }
    let mut out = String::new();
    let mut chars = std::str::from_utf8(&b[i + 1..]).ok()?.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => return Some((out, i + 1 + at + 1)),
            '\\' => match chars.next()?.1 {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                'b' => out.push('\u{8}'),
                'f' => out.push('\u{c}'),
                'u' => {
                    let hex: String = (0..4).filter_map(|_| chars.next().map(|(_, h)| h)).collect();
                    let mut cp = u32::from_str_radix(&hex, 16).ok()?;
                    if (0xd800..0xdc00).contains(&cp) {
                        // a surrogate pair: \uD83D\uDE00
                        let low: String = (0..6).filter_map(|_| chars.next().map(|(_, h)| h)).collect();
                        let low = u32::from_str_radix(low.get(2..)?, 16).ok()?;
                        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
                    }
                    out.push(char::from_u32(cp)?);
                }
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}

fn skip_value(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) == Some(&b'"') { return read_string(b, i).map(|(_, end)| end); }
    let mut depth = 0usize;
    let mut j = i;
    while j < b.len() {
        match b[j] {
            b'"' => { j = read_string(b, j)?.1; continue; }
            b'{' | b'[' => depth += 1,
            b'}' | b']' if depth == 0 => return Some(j),
            b'}' | b']' => { depth -= 1; if depth == 0 { return Some(j + 1); } }
            b',' if depth == 0 => return Some(j),
            _ => {}
        }
        j += 1;
    }
    Some(j)
}

fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

// ---- Exports: pocket:plugin/node@0.2.1 ----

/// The metadata lives in statics; raw pointers are not `Sync`, but this data is read-only and
/// wasm32-unknown-unknown has one thread.
struct Static<T>(T);
unsafe impl<T> Sync for Static<T> {}

static EXAMPLES: Static<[Example; 1]> = Static([Example {
    name: s("stressed"),
    description: s("Reversed, it is dessert"),
    config: NONE,
    input: s(r#"{"text":"stressed"}"#),
    output: some(r#"{"reversed":"desserts","palindrome":false}"#),
}]);

static NODES: Static<[NodeDef; 1]> = Static([NodeDef {
    node_type: s("reverse"),
    category: s("text"),
    description: s("Reverses input.text (by Unicode scalar); the action is \"palindrome\" when it reads the same both ways"),
    config_schema: NONE,
    input_schema: some(r#"{"type":"object","properties":{"text":{"type":"string"}},"required":["text"]}"#),
    output_schema: some(r#"{"type":"object","properties":{"reversed":{"type":"string"},"palindrome":{"type":"boolean"}},"required":["reversed","palindrome"]}"#),
    examples: List { ptr: &EXAMPLES.0 as *const Example, len: 1 },
}]);

static METADATA: Static<Metadata> = Static(Metadata {
    name: s("interop-reverse"),
    version: s("1.0.0"),
    description: s("Reverses text; hand-written Rust against the canonical ABI, wrapped with jco"),
    author: some("Pocket Team"),
    license: some("MIT"),
    nodes: List { ptr: &NODES.0 as *const NodeDef, len: 1 },
    permissions: Permissions { memory: some("8MB"), timeout: some("1s"), env: List { ptr: std::ptr::null(), len: 0 }, filesystem: List { ptr: std::ptr::null(), len: 0 }, network: List { ptr: std::ptr::null(), len: 0 } },
});

#[export_name = "pocket:plugin/node@0.2.1#metadata"]
pub extern "C" fn export_metadata() -> *const Metadata { &METADATA.0 }

fn check_node(node_type: &str) -> Result<(), String> {
    if node_type == "reverse" { Ok(()) } else { Err(format!("no node type \"{node_type}\" (this plugin has: reverse)")) }
}

#[export_name = "pocket:plugin/node@0.2.1#prep"]
pub unsafe extern "C" fn export_prep(t: *mut u8, tl: usize, c: *mut u8, cl: usize, i: *mut u8, il: usize) -> *const Ret {
    let (node_type, _config, input) = (arg(t, tl), arg(c, cl), arg(i, il));
    if let Err(message) = check_node(&node_type) { return fail(NOT_FOUND, message); }
    match string_field(&input, "text") {
        Some(text) => ok(quote(&text)), // the text, as a JSON string, is what exec gets
        None => fail(INVALID_INPUT, "input.text must be a string".to_string()),
    }
}

#[export_name = "pocket:plugin/node@0.2.1#exec"]
pub unsafe extern "C" fn export_exec(t: *mut u8, tl: usize, c: *mut u8, cl: usize, p: *mut u8, pl: usize) -> *const Ret {
    let (node_type, _config, prep) = (arg(t, tl), arg(c, cl), arg(p, pl));
    if let Err(message) = check_node(&node_type) { return fail(NOT_FOUND, message); }
    let text = match read_string(prep.as_bytes(), 0) { Some((text, _)) => text, None => return fail(0, "prep result is not a JSON string".to_string()) };
    let reversed: String = text.chars().rev().collect();
    ok(format!("{{\"reversed\":{},\"palindrome\":{}}}", quote(&reversed), reversed == text))
}

#[export_name = "pocket:plugin/node@0.2.1#post"]
pub unsafe extern "C" fn export_post(t: *mut u8, tl: usize, c: *mut u8, cl: usize, i: *mut u8, il: usize, p: *mut u8, pl: usize, e: *mut u8, el: usize) -> *const Ret {
    let (node_type, _config, _input, _prep, exec) = (arg(t, tl), arg(c, cl), arg(i, il), arg(p, pl), arg(e, el));
    if let Err(message) = check_node(&node_type) { return fail(NOT_FOUND, message); }
    let calls = store_get("interop-reverse.calls").and_then(|n| n.trim().parse::<u64>().ok()).unwrap_or(0) + 1;
    store_set("interop-reverse.calls", &calls.to_string());
    log_info(&format!("reversed text, call {calls} in this run"));
    let next = if exec.contains("\"palindrome\":true") { s("palindrome") } else { s("default") };
    RET.is_err = 0;
    RET.val.post = PostResult { output: keep(exec), next };
    &RET
}

unsafe fn post_return() { KEEP.clear(); }

#[export_name = "cabi_post_pocket:plugin/node@0.2.1#prep"]
pub unsafe extern "C" fn post_prep(_ret: *const Ret) { post_return() }
#[export_name = "cabi_post_pocket:plugin/node@0.2.1#exec"]
pub unsafe extern "C" fn post_exec(_ret: *const Ret) { post_return() }
#[export_name = "cabi_post_pocket:plugin/node@0.2.1#post"]
pub unsafe extern "C" fn post_post(_ret: *const Ret) { post_return() }
