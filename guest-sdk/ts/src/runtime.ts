/**
 * The guest side of the `pocket:plugin` world for TypeScript plugins: turns a `definePlugin`
 * value into the exported `node` interface. `pocket-wit build` generates an entry module that
 * calls {@link createNodeExports} with the host imports and the plugin's manifest.
 *
 * Everything that crosses the boundary is handled here: JSON decoding and encoding and mapping
 * thrown errors to `node-error`. Config and input are not validated here: the host validates
 * both against the node's schemas (published in `metadata()`) and applies their defaults at
 * every depth before it calls the plugin, for plugins in every language.
 */
/// <reference path="./generated/wit/v0.2.1/interfaces/pocket-plugin-host.d.ts" />
/// <reference path="./generated/wit/v0.2.1/interfaces/pocket-plugin-node.d.ts" />
/// <reference path="./generated/wit/v0.2.1/interfaces/pocket-plugin-types.d.ts" />
import type { TSchema } from 'typebox';
import { NodeError, type AnyNodeDef, type FetchInit, type FetchResponse, type NodeContext, type NodeEnv, type NodeExampleDef, type NodeFiles, type NodeKv, type NodeKvBucket, type PluginDef } from './index.js';
import { isDenied, wasiErrorCode } from './capabilities/errors.js';
import type * as Types from 'pocket:plugin/types@0.2.1';

type LatestHost = typeof import('pocket:plugin/host@0.2.1');
/**
 * The host imports, as generated from `wit/` (`pocket:plugin/host`, newest version). A plugin
 * built for an older version gets that version's imports: functions added later may be absent.
 */
export type HostImports = Omit<LatestHost, 'cancelled'> & Partial<Pick<LatestHost, 'cancelled'>>;
/** The exports a plugin provides, as generated from `wit/` (`pocket:plugin/node`). */
export type NodeExports = typeof import('pocket:plugin/node@0.2.1');

/** The manifest fields the build passes in. */
export interface ManifestInfo {
  name: string;
  version: string;
  description?: string;
  author?: string;
  license?: string;
  permissions?: { memory?: string; timeout?: string; env?: string[]; filesystem?: string[]; network?: string[] };
  nodes?: { type: string; examples?: NodeExampleDef[] }[];
}

/**
 * The capabilities the build linked in, one per permission the manifest declares (the entry
 * module imports `pocket-wit/guest/capabilities/<name>` only then, so a plugin without
 * permissions imports no WASI at all). A missing one is a stub that refuses with
 * `permission-denied`.
 */
export interface Capabilities {
  env?: NodeEnv;
  fs?: NodeFiles;
  fetch?: (url: string, init?: FetchInit) => FetchResponse;
  kv?: NodeKv;
}

function notGranted(call: string, permission: 'env' | 'filesystem' | 'network' | 'storage', example: string): never {
  const decl = permission === 'storage' ? `permissions.storage: { buckets: [${example}] }` : `permissions.${permission}: [${example}]`;
  throw new NodeError('permission-denied', `${call}: the plugin's manifest grants no ${permission} access; declare it, for example ${decl} in manifest.yaml, and rebuild`);
}

function deniedKv(): NodeKv {
  const no = (call: string): never => notGranted(`ctx.kv.${call}`, 'storage', 'cache');
  const bucket = (name?: string): NodeKvBucket => ({
    name: name ?? '',
    get: (k) => no(`get("${k}")`),
    set: (k) => no(`set("${k}")`),
    getText: (k) => no(`getText("${k}")`),
    setText: (k) => no(`setText("${k}")`),
    getBytes: (k) => no(`getBytes("${k}")`),
    setBytes: (k) => no(`setBytes("${k}")`),
    delete: (k) => no(`delete("${k}")`),
    has: (k) => no(`has("${k}")`),
    keys: () => no('keys()'),
    increment: (k) => no(`increment("${k}")`),
  });
  const { name: _name, ...first } = bucket();
  return { ...first, bucket: (name) => no(`bucket("${name ?? ''}")`) };
}

function deniedCapabilities(): Required<Capabilities> {
  return {
    env: { get: (name) => notGranted(`ctx.env.get("${name}")`, 'env', JSON.stringify(String(name))) },
    fs: {
      readText: (path) => notGranted(`ctx.fs.readText("${path}")`, 'filesystem', '"./data"'),
      writeText: (path) => notGranted(`ctx.fs.writeText("${path}")`, 'filesystem', '"./out:rw"'),
      list: (path) => notGranted(`ctx.fs.list("${path}")`, 'filesystem', '"./data"'),
    },
    fetch: (url) => notGranted(`ctx.fetch("${url}")`, 'network', '"api.example.com"'),
    kv: deniedKv(),
  };
}

function fail(code: Types.ErrorCode, message: string, details?: unknown): never {
  const err: Types.NodeError = { code, message, details: details === undefined ? undefined : JSON.stringify(details) };
  throw err;
}

function toNodeError(thrown: unknown): Types.NodeError {
  if (thrown instanceof NodeError) {
    return { code: thrown.code, message: thrown.message, details: thrown.details === undefined ? undefined : JSON.stringify(thrown.details) };
  }
  if (thrown && typeof thrown === 'object' && 'code' in thrown && 'message' in thrown && !(thrown instanceof Error)) {
    return thrown as Types.NodeError; // already a node-error (from fail())
  }
  // A WASI call the plugin made itself (e.g. a socket) that the host refused.
  const wasi = wasiErrorCode(thrown);
  if (isDenied(wasi)) return { code: 'permission-denied', message: `a WASI call was refused by the host: ${wasi}`, details: JSON.stringify({ wasi }) };
  // The stack goes along in the details (`guestStack`): the host takes it out into
  // PluginError.guestStack, and `pocket-wit run --verbose` prints it.
  if (thrown instanceof Error) return { code: 'plugin-error', message: thrown.message || thrown.name, details: stackDetails(thrown) };
  return { code: 'plugin-error', message: String(thrown), details: undefined };
}

/** At most this much of a stack is sent (the host caps an error's details at 64 KB). */
const MAX_STACK_CHARS = 8000;

function stackDetails(err: Error): string | undefined {
  const stack = typeof err.stack === 'string' ? err.stack : '';
  if (!stack.trim()) return undefined;
  return JSON.stringify({ guestStack: stack.length > MAX_STACK_CHARS ? `${stack.slice(0, MAX_STACK_CHARS)}\n    …` : stack });
}

/** Run `fn`, turning anything it throws into a WIT `node-error` (never a trap). */
function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (thrown) {
    throw toNodeError(thrown);
  }
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return fail('invalid-input', `${what} is not valid JSON`);
  }
}

function toJson(value: unknown, what: string): string {
  const text = JSON.stringify(value === undefined ? null : value);
  if (text === undefined) fail('plugin-error', `${what} cannot be encoded as JSON`);
  return text;
}

/** The config as the host sends it: validated, with its defaults; still refuse a non-object. */
function parseConfig(text: string): Record<string, unknown> {
  const value = parseJson(text, 'config');
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail('invalid-input', 'config must be a JSON object');
  return value as Record<string, unknown>;
}

/** Phases are synchronous (calls cross the component boundary synchronously): refuse a promise clearly. */
function settled<T>(value: T, phase: string): T {
  if (value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function') {
    fail('plugin-error', `${phase} returned a Promise; node phases must be synchronous (remove async/await)`);
  }
  return value;
}

/** A required string field of a node definition as it crosses: '' when missing or not a string. */
function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function stringifySchema(schema: TSchema | undefined): string | undefined {
  return schema === undefined ? undefined : JSON.stringify(schema);
}

/**
 * Back `Date` with the host's clock: the JS engines run without WASI clocks, so `new Date()`
 * and `Date.now()` ask the host (which may fix the time for reproducible runs).
 */
function installHostClock(host: HostImports): void {
  const NativeDate = Date;
  const now = (): number => Number(host.now());
  class HostDate extends NativeDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(now());
      else super(...(args as [string]));
    }
    static override now(): number {
      return now();
    }
  }
  (globalThis as { Date: DateConstructor }).Date = HostDate as unknown as DateConstructor;
}

/** Build the exported `node` interface for a plugin. */
export function createNodeExports(plugin: PluginDef, host: HostImports, manifest: ManifestInfo, capabilities: Capabilities = {}): NodeExports {
  if (!plugin || (plugin as { __pocketPlugin?: unknown }).__pocketPlugin !== 1 || !Array.isArray(plugin.nodes)) {
    throw new Error('the default export of src/index.ts must be the result of definePlugin({ nodes: [...] }) from "pocket-wit/guest"');
  }
  installHostClock(host);
  const byType = new Map<string, AnyNodeDef>();
  for (const node of plugin.nodes) {
    if (typeof node?.exec !== 'function') throw new Error(`node "${String(node?.type)}" has no exec function`);
    if (byType.has(node.type)) throw new Error(`node type "${node.type}" is defined twice`);
    byType.set(node.type, node);
  }

  for (const declared of manifest.nodes ?? []) {
    if (!byType.has(declared.type)) {
      throw new Error(`manifest.yaml lists node type "${declared.type}", but src/index.ts defines no such node (it defines: ${[...byType.keys()].join(', ')})`);
    }
  }

  const log = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, fields?: Record<string, unknown>) =>
    host.log(level, String(message), fields === undefined ? undefined : JSON.stringify(fields));
  const logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
  const store = {
    get<T = unknown>(key: string): T | undefined {
      const raw = host.storeGet(key);
      return raw === undefined ? undefined : (JSON.parse(raw) as T);
    },
    set(key: string, value: unknown): void {
      host.storeSet(key, toJson(value, `store value for "${key}"`));
    },
    delete(key: string): boolean {
      return host.storeDelete(key);
    },
  };

  // exec may be retried, so it must not write the store: it gets a read-only view. The host
  // refuses such a write too, with the same code; this only says so before the call crosses.
  const readOnlyStore = {
    get: store.get,
    set(key: string): void {
      fail('permission-denied', `exec must not write the shared store (it may be retried): write "${key}" in prep or post instead`);
    },
    delete(key: string): boolean {
      return fail('permission-denied', `exec must not write the shared store (it may be retried): delete "${key}" in prep or post instead`);
    },
  };

  // Built for 0.1.0, a plugin has no `cancelled` import: it is then never asked to stop.
  const cancelled = typeof host.cancelled === 'function' ? (): boolean => host.cancelled!() : (): boolean => false;
  const caps = { ...deniedCapabilities(), ...capabilities };

  function resolve(nodeType: string, configText: string, phase: 'prep' | 'exec' | 'post' = 'prep'): { node: AnyNodeDef; ctx: NodeContext<any> } {
    const node = byType.get(nodeType);
    if (!node) fail('not-found', `no node type "${nodeType}" in ${manifest.name} (it offers: ${[...byType.keys()].join(', ')})`);
    const config = parseConfig(configText);
    return { node, ctx: { config, nodeType, log: logger, store: phase === 'exec' ? readOnlyStore : store, cancelled, env: caps.env, fs: caps.fs, fetch: caps.fetch, kv: caps.kv } };
  }

  const manifestExamples = new Map((manifest.nodes ?? []).map((n) => [n.type, n.examples ?? []]));
  const perms = manifest.permissions ?? {};

  return {
    metadata() {
      return {
        name: manifest.name,
        version: manifest.version,
        description: manifest.description ?? '',
        author: manifest.author,
        license: manifest.license,
        permissions: {
          memory: perms.memory,
          timeout: perms.timeout,
          env: perms.env ?? [],
          filesystem: perms.filesystem ?? [],
          network: perms.network ?? [],
        },
        // A missing (or non-string) field is sent empty, not left undefined (which would trap):
        // the host refuses it with invalid-plugin, naming the node and the field.
        nodes: plugin.nodes.map((n) => ({
          nodeType: text(n.type),
          category: text(n.category),
          description: text(n.description),
          configSchema: stringifySchema(n.config),
          inputSchema: stringifySchema(n.input),
          outputSchema: stringifySchema(n.output),
          examples: [...(n.examples ?? []), ...(manifestExamples.get(n.type) ?? [])].map((e) => ({
            name: e.name,
            description: e.description ?? '',
            config: e.config === undefined ? undefined : JSON.stringify(e.config),
            input: toJson(e.input, `example ${e.name} input`),
            output: e.output === undefined ? undefined : JSON.stringify(e.output),
          })),
        })),
      };
    },
    prep(nodeType, config, input) {
      return guard(() => {
        const { node, ctx } = resolve(nodeType, config);
        const value = parseJson(input, 'input');
        return toJson(node.prep ? settled(node.prep(value, ctx), 'prep') : value, 'prep result');
      });
    },
    exec(nodeType, config, prepResult) {
      return guard(() => {
        const { node, ctx } = resolve(nodeType, config, 'exec');
        return toJson(settled(node.exec(parseJson(prepResult, 'prep result'), ctx), 'exec'), 'exec result');
      });
    },
    post(nodeType, config, input, prepResult, execResult) {
      return guard(() => {
        const { node, ctx } = resolve(nodeType, config);
        const exec = parseJson(execResult, 'exec result');
        if (!node.post) return { output: toJson(exec, 'output'), next: 'default' };
        const value = parseJson(input, 'input');
        const outcome = settled(node.post(value, parseJson(prepResult, 'prep result'), exec, ctx), 'post');
        if (!outcome || typeof outcome !== 'object' || !('output' in outcome)) {
          fail('plugin-error', `post of "${nodeType}" must return { output, next }`);
        }
        const next = outcome.next;
        if (next !== undefined && typeof next !== 'string') fail('plugin-error', `post of "${nodeType}" returned a non-string next action`);
        return { output: toJson(outcome.output, 'output'), next: next || 'default' };
      });
    },
  };
}
