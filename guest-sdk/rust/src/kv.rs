//! Persistent storage through the standard `wasi:keyvalue@0.2.0-draft` (`store` and `atomics`),
//! the Rust side of `ctx.kv` in the TypeScript SDK (docs/STORAGE.md).
//!
//! ```ignore
//! use pocket_plugin::kv::Bucket;
//!
//! let counters = Bucket::open("counters")?;          // a bucket named in permissions.storage.buckets
//! let n = counters.increment("calls", 1)?;           // atomic across calls, threads and processes
//! counters.set_json("last", &json!({ "n": n }))?;
//! let last: Option<Value> = counters.get_json("last")?;
//! ```
//!
//! Every call goes to the host, which checks the plugin's grant and quota (a plugin without
//! `permissions.storage` is refused, whatever it imports). A failure is a [`KvError`], which `?`
//! turns into a [`NodeError`] with the same codes as the TypeScript SDK: `permission-denied` for
//! no storage permission, a bucket not granted or a full quota; `invalid-input` for a bad key or a
//! counter that is not a number.
//!
//! The imports below are hand-written because `bindings.rs`' generator does not do resources.
//! They are only linked into a plugin that calls them: a plugin that does not use this module
//! imports no `wasi:keyvalue` (and `pocket-wit build` wraps it into the plain `plugin` world).
//! The lowering follows the canonical ABI: strings and `list<u8>` as pointer + length, `u64` as
//! `i64`, `option<u64>` as discriminant + value, the `bucket` resource as an `i32` handle, and
//! results through a return area the caller passes last. Strings and lists in results are
//! allocated by the host with the SDK's `cabi_realloc` and owned (freed) here.

use crate::bindings::_rt;
use crate::{ErrorCode, NodeError, Value};
use std::fmt;

/// The raw imports, exactly as the canonical ABI flattens the WIT signatures.
mod raw {
    #[link(wasm_import_module = "wasi:keyvalue/store@0.2.0-draft")]
    extern "C" {
        /// `open(identifier: string) -> result<bucket, error>`
        #[link_name = "open"]
        pub fn open(id_ptr: i32, id_len: i32, ret: i32);
        /// `get(key: string) -> result<option<list<u8>>, error>`
        #[link_name = "[method]bucket.get"]
        pub fn get(bucket: i32, key_ptr: i32, key_len: i32, ret: i32);
        /// `set(key: string, value: list<u8>) -> result<_, error>`
        #[link_name = "[method]bucket.set"]
        pub fn set(bucket: i32, key_ptr: i32, key_len: i32, value_ptr: i32, value_len: i32, ret: i32);
        /// `delete(key: string) -> result<_, error>`
        #[link_name = "[method]bucket.delete"]
        pub fn delete(bucket: i32, key_ptr: i32, key_len: i32, ret: i32);
        /// `exists(key: string) -> result<bool, error>`
        #[link_name = "[method]bucket.exists"]
        pub fn exists(bucket: i32, key_ptr: i32, key_len: i32, ret: i32);
        /// `list-keys(cursor: option<u64>) -> result<key-response, error>`
        #[link_name = "[method]bucket.list-keys"]
        pub fn list_keys(bucket: i32, has_cursor: i32, cursor: i64, ret: i32);
        #[link_name = "[resource-drop]bucket"]
        pub fn drop_bucket(bucket: i32);
    }

    #[link(wasm_import_module = "wasi:keyvalue/atomics@0.2.0-draft")]
    extern "C" {
        /// `increment(bucket: borrow<bucket>, key: string, delta: u64) -> result<u64, error>`
        #[link_name = "increment"]
        pub fn increment(bucket: i32, key_ptr: i32, key_len: i32, delta: i64, ret: i32);
    }
}

/// Where an import writes its result: 32 bytes, 8-aligned, fits every result above (the largest,
/// `result<key-response, error>`, is 32 bytes with alignment 8).
#[repr(C, align(8))]
struct RetArea([u8; 32]);

impl RetArea {
    fn new() -> Self {
        RetArea([0u8; 32])
    }
    fn base(&mut self) -> usize {
        self.0.as_mut_ptr() as usize
    }
}

unsafe fn u8_at(at: usize) -> u8 {
    *(at as *const u8)
}
unsafe fn i32_at(at: usize) -> i32 {
    *(at as *const i32)
}
unsafe fn i64_at(at: usize) -> i64 {
    *(at as *const i64)
}

/// Take ownership of a `list<u8>` the host allocated with `cabi_realloc(0, 0, 1, len)`.
unsafe fn lift_bytes(ptr: i32, len: i32) -> Vec<u8> {
    if len == 0 {
        return Vec::new();
    }
    Vec::from_raw_parts(ptr as *mut u8, len as usize, len as usize)
}

/// The `error` variant at `at`: discriminant (u8), then the `other` string at `at + 4`.
unsafe fn lift_error(at: usize) -> KvErrorKind {
    match u8_at(at) {
        0 => KvErrorKind::NoSuchStore,
        1 => KvErrorKind::AccessDenied,
        2 => KvErrorKind::Other(_rt::lift_string(i32_at(at + 4), i32_at(at + 8))),
        _ => _rt::invalid_discriminant(),
    }
}

/// What went wrong, as `wasi:keyvalue/store.error` says (plus one case of the SDK's own).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KvErrorKind {
    /// `access-denied`: the plugin has no storage permission (`permissions.storage`).
    AccessDenied,
    /// `no-such-store`: the bucket is not among `permissions.storage.buckets`.
    NoSuchStore,
    /// `other`: the host's `"<code>: <message>"`, e.g. `permission-denied: ... storage quota ...`.
    Other(String),
    /// [`Bucket::get_json`] read a value that is not JSON.
    NotJson,
}

/// A failed storage call: what failed, on which bucket, and why. Converts into a [`NodeError`]
/// (with `?` in a node phase) with the code [`KvError::code`] and the message [`KvError::message`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KvError {
    pub kind: KvErrorKind,
    /// The bucket the call was on.
    pub bucket: String,
    /// The call, for messages: `open()`, `get("calls")`, ...
    pub operation: String,
}

/// `"permission-denied: text"` → (that code, `text`), for the codes a node error may have.
fn split_code(text: &str) -> Option<(ErrorCode, &str)> {
    let (code, rest) = text.split_once(": ")?;
    let code = match code {
        "plugin-error" => ErrorCode::PluginError,
        "invalid-input" => ErrorCode::InvalidInput,
        "not-found" => ErrorCode::NotFound,
        "permission-denied" => ErrorCode::PermissionDenied,
        _ => return None,
    };
    Some((code, rest))
}

impl KvError {
    fn new(kind: KvErrorKind, bucket: &str, operation: String) -> Self {
        KvError { kind, bucket: bucket.to_string(), operation }
    }

    /// The node error code: `permission-denied` for no permission or a bucket not granted, the
    /// host's code for `other` (`permission-denied` for a quota, `invalid-input` for a bad key or
    /// counter), `invalid-input` for a value that is not JSON.
    pub fn code(&self) -> ErrorCode {
        match &self.kind {
            KvErrorKind::AccessDenied | KvErrorKind::NoSuchStore => ErrorCode::PermissionDenied,
            KvErrorKind::Other(text) => split_code(text).map(|(c, _)| c).unwrap_or(ErrorCode::PluginError),
            KvErrorKind::NotJson => ErrorCode::InvalidInput,
        }
    }

    /// What failed and what to do about it, starting with the call (`kv "counters".get("x"): ...`).
    pub fn message(&self) -> String {
        let what = format!("kv \"{}\".{}", self.bucket, self.operation);
        match &self.kind {
            KvErrorKind::AccessDenied => {
                format!("{}: no storage permission: the host grants this plugin no storage (declare permissions.storage in manifest.yaml)", what)
            }
            KvErrorKind::NoSuchStore => {
                format!("{}: bucket \"{}\" is not granted; name it in permissions.storage.buckets in manifest.yaml", what, self.bucket)
            }
            KvErrorKind::Other(text) => match split_code(text) {
                Some((_, rest)) => format!("{}: {}", what, rest),
                None => format!("{}: {}", what, text),
            },
            KvErrorKind::NotJson => format!("{}: the stored value is not JSON (read it with get or get_text)", what),
        }
    }
}

impl fmt::Display for KvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for KvError {}

impl From<KvError> for NodeError {
    fn from(e: KvError) -> Self {
        NodeError::new(e.code(), e.message())
    }
}

/// An open bucket: a named set of key/value pairs in the plugin's own namespace. Dropping it
/// closes it (the resource's drop); open it again in the next call, opening is cheap.
#[derive(Debug)]
pub struct Bucket {
    handle: i32,
    name: String,
}

impl Bucket {
    /// Open a bucket the manifest's `permissions.storage.buckets` names. Fails with
    /// `permission-denied` without a storage permission or for a bucket not granted.
    pub fn open(name: &str) -> Result<Bucket, KvError> {
        let mut area = RetArea::new();
        let base = area.base();
        unsafe {
            raw::open(name.as_ptr() as i32, name.len() as i32, base as i32);
            // result<bucket, error>: discriminant at 0, payload at 4.
            match u8_at(base) {
                0 => Ok(Bucket { handle: i32_at(base + 4), name: name.to_string() }),
                1 => Err(KvError::new(lift_error(base + 4), name, "open()".to_string())),
                _ => _rt::invalid_discriminant(),
            }
        }
    }

    /// The bucket's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn fail(&self, at: usize, operation: impl FnOnce() -> String) -> KvError {
        KvError::new(unsafe { lift_error(at) }, &self.name, operation())
    }

    /// A `result<_, error>` (also `result<bool, error>`, whose `ok` byte is at 4) at `base`.
    fn unit_or_error(&self, base: usize, operation: impl FnOnce() -> String) -> Result<(), KvError> {
        match unsafe { u8_at(base) } {
            0 => Ok(()),
            1 => Err(self.fail(base + 4, operation)),
            _ => _rt::invalid_discriminant(),
        }
    }

    /// The bytes under `key`, or `None` when it is not set.
    pub fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        let mut area = RetArea::new();
        let base = area.base();
        unsafe {
            raw::get(self.handle, key.as_ptr() as i32, key.len() as i32, base as i32);
            // result<option<list<u8>>, error>: discriminant at 0; option at 4 (its list at 8, 12).
            match u8_at(base) {
                0 => match u8_at(base + 4) {
                    0 => Ok(None),
                    1 => Ok(Some(lift_bytes(i32_at(base + 8), i32_at(base + 12)))),
                    _ => _rt::invalid_discriminant(),
                },
                1 => Err(self.fail(base + 4, || format!("get({:?})", key))),
                _ => _rt::invalid_discriminant(),
            }
        }
    }

    /// The value under `key` as UTF-8 text (invalid sequences replaced), or `None`.
    pub fn get_text(&self, key: &str) -> Result<Option<String>, KvError> {
        Ok(self.get(key)?.map(|bytes| String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())))
    }

    /// The JSON value under `key`, or `None`; a value that is not JSON is an `invalid-input` error.
    /// (Counters are stored as decimal text, so they read as JSON numbers.)
    pub fn get_json(&self, key: &str) -> Result<Option<Value>, KvError> {
        match self.get(key)? {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|_| KvError::new(KvErrorKind::NotJson, &self.name, format!("get_json({:?})", key))),
        }
    }

    /// Set `key` to `value`, replacing what was there. Fails with `permission-denied` when it
    /// would take the plugin over its quota.
    pub fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        let mut area = RetArea::new();
        let base = area.base();
        unsafe {
            raw::set(self.handle, key.as_ptr() as i32, key.len() as i32, value.as_ptr() as i32, value.len() as i32, base as i32);
        }
        self.unit_or_error(base, || format!("set({:?})", key))
    }

    /// Set `key` to UTF-8 text.
    pub fn set_text(&self, key: &str, text: &str) -> Result<(), KvError> {
        self.set(key, text.as_bytes())
    }

    /// Set `key` to a JSON value (stored as its JSON text, readable from any language's SDK).
    pub fn set_json(&self, key: &str, value: &Value) -> Result<(), KvError> {
        self.set(key, value.to_string().as_bytes())
    }

    /// Remove `key`; removing a key that is not set is not an error.
    pub fn delete(&self, key: &str) -> Result<(), KvError> {
        let mut area = RetArea::new();
        let base = area.base();
        unsafe { raw::delete(self.handle, key.as_ptr() as i32, key.len() as i32, base as i32) };
        self.unit_or_error(base, || format!("delete({:?})", key))
    }

    /// Whether `key` is set.
    pub fn exists(&self, key: &str) -> Result<bool, KvError> {
        let mut area = RetArea::new();
        let base = area.base();
        unsafe { raw::exists(self.handle, key.as_ptr() as i32, key.len() as i32, base as i32) };
        self.unit_or_error(base, || format!("exists({:?})", key))?;
        Ok(unsafe { u8_at(base + 4) } != 0)
    }

    /// Every key of the bucket, in byte order (all pages of `list-keys`).
    pub fn keys(&self) -> Result<Vec<String>, KvError> {
        let mut out = Vec::new();
        let mut cursor: Option<u64> = None;
        loop {
            let mut area = RetArea::new();
            let base = area.base();
            unsafe {
                let (has, at) = match cursor {
                    Some(c) => (1, c as i64),
                    None => (0, 0),
                };
                raw::list_keys(self.handle, has, at, base as i32);
                // result<key-response, error>: discriminant at 0, payload at 8 (key-response is
                // 8-aligned): keys (ptr, len) at 8 and 12, cursor option<u64> at 16 (value at 24).
                match u8_at(base) {
                    0 => {
                        let (ptr, len) = (i32_at(base + 8) as usize, i32_at(base + 12) as usize);
                        for i in 0..len {
                            let at = ptr + i * 8;
                            out.push(_rt::lift_string(i32_at(at), i32_at(at + 4)));
                        }
                        // The array of (ptr, len) pairs the host allocated with cabi_realloc(0, 0, 4, len * 8).
                        _rt::dealloc(ptr, len * 8, 4);
                        cursor = match u8_at(base + 16) {
                            0 => None,
                            1 => Some(i64_at(base + 24) as u64),
                            _ => _rt::invalid_discriminant(),
                        };
                    }
                    1 => return Err(self.fail(base + 8, || "keys()".to_string())),
                    _ => _rt::invalid_discriminant(),
                }
            }
            if cursor.is_none() {
                return Ok(out);
            }
        }
    }

    /// Add `delta` to the counter at `key` and return the new value, atomically (no other call,
    /// thread or process can interleave). A key that is not set starts at 0. Fails with
    /// `invalid-input` when the value is not a counter (decimal text).
    pub fn increment(&self, key: &str, delta: u64) -> Result<u64, KvError> {
        let mut area = RetArea::new();
        let base = area.base();
        unsafe {
            raw::increment(self.handle, key.as_ptr() as i32, key.len() as i32, delta as i64, base as i32);
            // result<u64, error>: discriminant at 0, payload at 8 (u64 is 8-aligned).
            match u8_at(base) {
                0 => Ok(i64_at(base + 8) as u64),
                1 => Err(self.fail(base + 8, || format!("increment({:?})", key))),
                _ => _rt::invalid_discriminant(),
            }
        }
    }
}

impl Drop for Bucket {
    fn drop(&mut self) {
        unsafe { raw::drop_bucket(self.handle) }
    }
}
