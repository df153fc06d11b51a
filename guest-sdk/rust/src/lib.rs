//! # pocket-plugin — the Rust guest SDK of pocket-wit
//!
//! Write nodes by implementing [`Node`], list them in a [`Plugin`], and export the plugin with
//! [`export_plugin!`]. Build with `pocket-wit build` (it compiles for `wasm32-unknown-unknown`
//! and wraps the module into a component of world `pocket:plugin@0.2.1`).
//!
//! ```ignore
//! use pocket_plugin::{export_plugin, json, Context, Node, NodeDefinition, NodeError, Plugin, Value};
//!
//! struct Upper;
//! impl Node for Upper {
//!     fn definition(&self) -> NodeDefinition {
//!         NodeDefinition::new("upper", "text", "Uppercase a string")
//!             .input_schema(json!({"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}))
//!     }
//!     fn exec(&self, input: Value, _ctx: &Context) -> Result<Value, NodeError> {
//!         Ok(json!({ "text": input["text"].as_str().unwrap_or("").to_uppercase() }))
//!     }
//! }
//!
//! struct MyPlugin;
//! impl Plugin for MyPlugin {
//!     fn nodes() -> Vec<Box<dyn Node>> { vec![Box::new(Upper)] }
//! }
//! export_plugin!(MyPlugin);
//! ```
//!
//! The host validates config and input against the schemas a node publishes in its
//! [`NodeDefinition`] and applies their `default`s at every depth before the node runs (for
//! plugins in every language), so a phase gets them valid and complete.
//!
//! Ordinary failures are returned as [`NodeError`] (the host reports `error[<code>]`). A panic
//! cannot be caught: plugins are built with `panic = "abort"`, so a panic is a trap, which the
//! host reports as `trap` and answers by replacing the instance.
//!
//! Persistent storage (`permissions.storage` in the manifest) is in [`kv`]:
//! `kv::Bucket::open("counters")?.increment("calls", 1)?`.

#[doc(hidden)]
pub mod bindings;
pub mod kv;

use bindings::host;
use bindings::types as wit;
use std::fmt;
use std::marker::PhantomData;

pub use serde_json::{self, json, Map, Value};

/// The `pocket:plugin` version this SDK's glue was generated for.
pub const WIT_VERSION: &str = "0.2.1";

// ---- errors -------------------------------------------------------------------------------------

/// The kind of a [`NodeError`] (the WIT `error-code`).
pub use wit::ErrorCode;

/// An ordinary failure of a node phase, returned to the host as `node-error`.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeError {
    pub code: ErrorCode,
    pub message: String,
    /// Structured details, usually a JSON object (for example `{"field": "input.text"}`).
    pub details: Option<Value>,
}

impl NodeError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        NodeError { code, message: message.into(), details: None }
    }
    /// The plugin's own code failed.
    pub fn plugin_error(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::PluginError, message)
    }
    /// The input or the config does not match what the node needs; name the field in the message.
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidInput, message)
    }
    /// Something asked for does not exist (for example an unknown node type).
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }
    /// A capability the plugin's permissions do not grant.
    pub fn permission_denied(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::PermissionDenied, message)
    }
    /// Attach structured details.
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }
    /// `invalid-input` naming a field: `"<field>: <problem>"` with `{"field": field}` as details.
    pub fn invalid_field(field: &str, problem: impl fmt::Display) -> Self {
        Self::invalid_input(format!("{}: {}", field, problem)).with_details(json!({ "field": field }))
    }
}

impl fmt::Display for NodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = match self.code {
            ErrorCode::PluginError => "plugin-error",
            ErrorCode::InvalidInput => "invalid-input",
            ErrorCode::NotFound => "not-found",
            ErrorCode::PermissionDenied => "permission-denied",
        };
        write!(f, "error[{}]: {}", code, self.message)
    }
}

impl std::error::Error for NodeError {}

impl From<NodeError> for wit::NodeError {
    fn from(e: NodeError) -> Self {
        wit::NodeError { code: e.code, message: e.message, details: e.details.map(|d| d.to_string()) }
    }
}

// ---- node definitions ---------------------------------------------------------------------------

/// A worked example of a node: `input` (with `config`) produces `output`.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeExample {
    pub name: String,
    pub description: String,
    pub config: Option<Value>,
    pub input: Value,
    pub output: Option<Value>,
}

impl NodeExample {
    pub fn new(name: impl Into<String>, description: impl Into<String>, input: Value) -> Self {
        NodeExample { name: name.into(), description: description.into(), config: None, input, output: None }
    }
    pub fn config(mut self, config: Value) -> Self {
        self.config = Some(config);
        self
    }
    pub fn output(mut self, output: Value) -> Self {
        self.output = Some(output);
        self
    }
}

/// What a node is: its type, category, description, JSON Schemas and examples.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeDefinition {
    pub node_type: String,
    pub category: String,
    pub description: String,
    /// JSON Schema of the config. The host validates the config against it and applies its
    /// `default`s at every depth before each phase.
    pub config_schema: Option<Value>,
    /// JSON Schema of the input; the host validates the input and applies its defaults, as for
    /// the config.
    pub input_schema: Option<Value>,
    pub output_schema: Option<Value>,
    pub examples: Vec<NodeExample>,
}

impl NodeDefinition {
    pub fn new(node_type: impl Into<String>, category: impl Into<String>, description: impl Into<String>) -> Self {
        NodeDefinition {
            node_type: node_type.into(),
            category: category.into(),
            description: description.into(),
            config_schema: None,
            input_schema: None,
            output_schema: None,
            examples: Vec::new(),
        }
    }
    pub fn config_schema(mut self, schema: Value) -> Self {
        self.config_schema = Some(schema);
        self
    }
    pub fn input_schema(mut self, schema: Value) -> Self {
        self.input_schema = Some(schema);
        self
    }
    pub fn output_schema(mut self, schema: Value) -> Self {
        self.output_schema = Some(schema);
        self
    }
    pub fn example(mut self, example: NodeExample) -> Self {
        self.examples.push(example);
        self
    }
}

/// What `post` decides: the node's output and the action that picks the next node.
#[derive(Clone, Debug, PartialEq)]
pub struct PostResult {
    pub output: Value,
    /// The action; empty means `default`.
    pub next: String,
}

impl PostResult {
    pub fn new(output: Value, next: impl Into<String>) -> Self {
        PostResult { output, next: next.into() }
    }
}

// ---- the context a phase gets -------------------------------------------------------------------

/// Severity of a log line.
pub use host::LogLevel;

/// Structured logging to the host's logger (lines are tagged with the plugin's name).
#[derive(Clone, Copy, Debug, Default)]
pub struct Log {
    _private: (),
}

impl Log {
    pub fn debug(&self, message: &str) {
        host::log(LogLevel::Debug, message, None)
    }
    pub fn info(&self, message: &str) {
        host::log(LogLevel::Info, message, None)
    }
    pub fn warn(&self, message: &str) {
        host::log(LogLevel::Warn, message, None)
    }
    pub fn error(&self, message: &str) {
        host::log(LogLevel::Error, message, None)
    }
    /// A line with extra fields (a JSON object of key/value pairs).
    pub fn with(&self, level: LogLevel, message: &str, fields: &Value) {
        let text = fields.to_string();
        host::log(level, message, Some(&text))
    }
}

/// The workflow's shared store. In `exec` it is read-only (exec may be retried): `set` and
/// `delete` fail with `permission-denied`, as the host refuses such writes too.
#[derive(Clone, Copy, Debug)]
pub struct Store {
    writable: bool,
}

impl Store {
    /// The value under `key`, or `None` when it is not set.
    pub fn get(&self, key: &str) -> Option<Value> {
        host::store_get(key).map(|text| serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }
    /// Set `key`; later nodes of the same run see it. Fails in `exec`.
    pub fn set(&self, key: &str, value: &Value) -> Result<(), NodeError> {
        if !self.writable {
            return Err(NodeError::permission_denied(format!(
                "exec must not write the shared store (it may be retried): write \"{}\" in prep or post instead",
                key
            )));
        }
        host::store_set(key, &value.to_string());
        Ok(())
    }
    /// Remove `key`; whether it was set. Fails in `exec`.
    pub fn delete(&self, key: &str) -> Result<bool, NodeError> {
        if !self.writable {
            return Err(NodeError::permission_denied(format!(
                "exec must not write the shared store (it may be retried): delete \"{}\" in prep or post instead",
                key
            )));
        }
        Ok(host::store_delete(key))
    }
}

/// What every phase receives besides its data.
#[derive(Clone, Debug)]
pub struct Context {
    /// The node type being run.
    pub node_type: String,
    /// The node's config from the workflow, validated by the host, with the config schema's
    /// defaults applied at every depth.
    pub config: Value,
    pub log: Log,
    pub store: Store,
}

impl Context {
    /// The host's wall-clock time, in milliseconds since the Unix epoch.
    pub fn now(&self) -> u64 {
        host::now()
    }
    /// Whether the host asks the call to stop early (timeout or cancelled run): poll it in long loops.
    pub fn cancelled(&self) -> bool {
        host::cancelled()
    }
}

// ---- what a plugin implements -------------------------------------------------------------------

/// One node type. `prep` reads the input, `exec` does the work (and may be retried), `post`
/// decides the output and the next action.
pub trait Node {
    fn definition(&self) -> NodeDefinition;

    /// Default: pass the input (validated by the host, with the input schema's defaults) through.
    fn prep(&self, input: Value, ctx: &Context) -> Result<Value, NodeError> {
        let _ = ctx;
        Ok(input)
    }

    fn exec(&self, prep_result: Value, ctx: &Context) -> Result<Value, NodeError>;

    /// Default: the output is exec's result and the next action is `default`.
    fn post(&self, input: Value, prep_result: Value, exec_result: Value, ctx: &Context) -> Result<PostResult, NodeError> {
        let _ = (input, prep_result, ctx);
        Ok(PostResult::new(exec_result, "default"))
    }
}

/// A plugin: the nodes it offers. Name, version, description and permissions come from the
/// manifest (`pocket-wit build` passes it in).
pub trait Plugin {
    fn nodes() -> Vec<Box<dyn Node>>;
}

/// What [`export_plugin!`] generates in the plugin's crate: the plugin type and what the build
/// passed in. Not for direct use.
#[doc(hidden)]
pub trait PluginInfo {
    type Plugin: Plugin;
    /// The manifest as JSON (env `POCKET_PLUGIN_MANIFEST` at build time), if the build gave one.
    const MANIFEST: Option<&'static str>;
    const CRATE_NAME: &'static str;
    const CRATE_VERSION: &'static str;
}

/// Export a [`Plugin`] as the component's `pocket:plugin/node` interface. Use it once, in the
/// plugin's crate (crate-type `cdylib`).
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        #[doc(hidden)]
        struct __PocketPluginInfo;
        impl $crate::PluginInfo for __PocketPluginInfo {
            type Plugin = $plugin;
            const MANIFEST: Option<&'static str> = option_env!("POCKET_PLUGIN_MANIFEST");
            const CRATE_NAME: &'static str = env!("CARGO_PKG_NAME");
            const CRATE_VERSION: &'static str = env!("CARGO_PKG_VERSION");
        }
        $crate::__pocket_export_world!($crate::Exports<__PocketPluginInfo>);
    };
}

// ---- the exported interface ---------------------------------------------------------------------

#[doc(hidden)]
pub struct Exports<I: PluginInfo>(PhantomData<I>);

struct Registered {
    node: Box<dyn Node>,
    def: NodeDefinition,
}

static mut NODES: Option<Vec<Registered>> = None;

fn nodes<I: PluginInfo>() -> &'static [Registered] {
    // Core wasm here is single-threaded: a plain static is enough.
    unsafe {
        if NODES.is_none() {
            let list = I::Plugin::nodes()
                .into_iter()
                .map(|node| {
                    let def = node.definition();
                    Registered { node, def }
                })
                .collect();
            NODES = Some(list);
        }
        NODES.as_deref().unwrap_or(&[])
    }
}

fn parse_json(text: &str, what: &str) -> Result<Value, NodeError> {
    serde_json::from_str(text).map_err(|_| NodeError::invalid_input(format!("{} is not valid JSON", what)))
}

struct Resolved {
    reg: &'static Registered,
    ctx: Context,
}

fn resolve<I: PluginInfo>(node_type: &str, config: &str, writable: bool) -> Result<Resolved, NodeError> {
    let all = nodes::<I>();
    let reg = match all.iter().find(|r| r.def.node_type == node_type) {
        Some(r) => r,
        None => {
            let offered: Vec<&str> = all.iter().map(|r| r.def.node_type.as_str()).collect();
            return Err(NodeError::not_found(format!(
                "no node type \"{}\" in {} (it offers: {})",
                node_type,
                manifest::<I>().name,
                offered.join(", ")
            )));
        }
    };
    let config = parse_json(config, "config")?;
    if !config.is_object() {
        return Err(NodeError::invalid_input("config must be a JSON object"));
    }
    Ok(Resolved { reg, ctx: Context { node_type: node_type.to_string(), config, log: Log::default(), store: Store { writable } } })
}

fn to_json_text(v: &Value) -> String {
    v.to_string()
}

// ---- the manifest ---------------------------------------------------------------------------

struct ManifestInfo {
    name: String,
    version: String,
    description: String,
    author: Option<String>,
    license: Option<String>,
    permissions: wit::Permissions,
    examples: Vec<(String, Vec<NodeExample>)>,
}

fn string_list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array).map(|a| a.iter().filter_map(|s| s.as_str().map(String::from)).collect()).unwrap_or_default()
}

fn manifest<I: PluginInfo>() -> ManifestInfo {
    let m: Value = I::MANIFEST.and_then(|t| serde_json::from_str(t).ok()).unwrap_or(Value::Null);
    let s = |k: &str| m.get(k).and_then(Value::as_str).map(String::from);
    let perms = m.get("permissions").cloned().unwrap_or(Value::Null);
    let examples = m
        .get("nodes")
        .and_then(Value::as_array)
        .map(|nodes| {
            nodes
                .iter()
                .filter_map(|n| {
                    let ty = n.get("type")?.as_str()?.to_string();
                    let ex = n
                        .get("examples")
                        .and_then(Value::as_array)
                        .map(|list| {
                            list.iter()
                                .map(|e| NodeExample {
                                    name: e.get("name").and_then(Value::as_str).unwrap_or("").to_string(),
                                    description: e.get("description").and_then(Value::as_str).unwrap_or("").to_string(),
                                    config: e.get("config").cloned(),
                                    input: e.get("input").cloned().unwrap_or(Value::Null),
                                    output: e.get("output").cloned(),
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    Some((ty, ex))
                })
                .collect()
        })
        .unwrap_or_default();
    ManifestInfo {
        name: s("name").unwrap_or_else(|| I::CRATE_NAME.to_string()),
        version: s("version").unwrap_or_else(|| I::CRATE_VERSION.to_string()),
        description: s("description").unwrap_or_default(),
        author: s("author"),
        license: s("license"),
        permissions: wit::Permissions {
            memory: perms.get("memory").and_then(Value::as_str).map(String::from),
            timeout: perms.get("timeout").and_then(Value::as_str).map(String::from),
            env: string_list(perms.get("env")),
            filesystem: string_list(perms.get("filesystem")),
            network: string_list(perms.get("network")),
        },
        examples,
    }
}

fn wit_example(e: &NodeExample) -> wit::NodeExample {
    wit::NodeExample {
        name: e.name.clone(),
        description: e.description.clone(),
        config: e.config.as_ref().map(to_json_text),
        input: to_json_text(&e.input),
        output: e.output.as_ref().map(to_json_text),
    }
}

impl<I: PluginInfo> bindings::node::Guest for Exports<I> {
    fn metadata() -> wit::PluginMetadata {
        let m = manifest::<I>();
        let nodes = nodes::<I>()
            .iter()
            .map(|r| {
                let d = &r.def;
                let mut examples: Vec<wit::NodeExample> = d.examples.iter().map(wit_example).collect();
                for (ty, list) in &m.examples {
                    if ty == &d.node_type {
                        examples.extend(list.iter().map(wit_example));
                    }
                }
                wit::NodeDefinition {
                    node_type: d.node_type.clone(),
                    category: d.category.clone(),
                    description: d.description.clone(),
                    config_schema: d.config_schema.as_ref().map(to_json_text),
                    input_schema: d.input_schema.as_ref().map(to_json_text),
                    output_schema: d.output_schema.as_ref().map(to_json_text),
                    examples,
                }
            })
            .collect();
        wit::PluginMetadata {
            name: m.name,
            version: m.version,
            description: m.description,
            author: m.author,
            license: m.license,
            nodes,
            permissions: m.permissions,
        }
    }

    fn prep(node_type: String, config: String, input: String) -> Result<String, wit::NodeError> {
        let run = || -> Result<String, NodeError> {
            let r = resolve::<I>(&node_type, &config, true)?;
            let input = parse_json(&input, "input")?;
            Ok(to_json_text(&r.reg.node.prep(input, &r.ctx)?))
        };
        run().map_err(Into::into)
    }

    fn exec(node_type: String, config: String, prep_result: String) -> Result<String, wit::NodeError> {
        let run = || -> Result<String, NodeError> {
            let r = resolve::<I>(&node_type, &config, false)?;
            let prep = parse_json(&prep_result, "prep result")?;
            Ok(to_json_text(&r.reg.node.exec(prep, &r.ctx)?))
        };
        run().map_err(Into::into)
    }

    fn post(node_type: String, config: String, input: String, prep_result: String, exec_result: String) -> Result<wit::PostResult, wit::NodeError> {
        let run = || -> Result<wit::PostResult, NodeError> {
            let r = resolve::<I>(&node_type, &config, true)?;
            let input = parse_json(&input, "input")?;
            let prep = parse_json(&prep_result, "prep result")?;
            let exec = parse_json(&exec_result, "exec result")?;
            let out = r.reg.node.post(input, prep, exec, &r.ctx)?;
            let next = if out.next.is_empty() { "default".to_string() } else { out.next };
            Ok(wit::PostResult { output: to_json_text(&out.output), next })
        };
        run().map_err(Into::into)
    }
}
