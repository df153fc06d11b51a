/// <reference path="./wasi.d.ts" />
/**
 * `ctx.kv`, backed by `wasi:keyvalue@0.2.0-draft` (built in only when `permissions.storage` is
 * declared). Values are JSON by default (`get`/`set`), bytes or text on request; counters use the
 * standard's atomic `increment`. The host checks the grant and the quota on every call
 * (docs/STORAGE.md); this module only gives the early, friendly errors with the same codes.
 */
import store, { type Bucket } from 'wasi:keyvalue/store';
import atomics from 'wasi:keyvalue/atomics';
import { NodeError, type NodeErrorCode, type NodeKv, type NodeKvBucket } from '../index.js';

const CODES = new Set<NodeErrorCode>(['plugin-error', 'invalid-input', 'not-found', 'permission-denied']);

/** A failed keyvalue call as a NodeError: the host's `other("<code>: <message>")`, or what the error case means. */
function rethrow(thrown: unknown, what: string, bucket: string): never {
  if (thrown instanceof NodeError) throw thrown;
  const payload = thrown && typeof thrown === 'object' && 'payload' in thrown ? (thrown as { payload: unknown }).payload : thrown;
  const tag = payload && typeof payload === 'object' ? (payload as { tag?: unknown }).tag : undefined;
  if (tag === 'access-denied') throw new NodeError('permission-denied', `${what}: the host grants this plugin no storage (permissions.storage)`);
  if (tag === 'no-such-store') throw new NodeError('permission-denied', `${what}: bucket "${bucket}" is not granted; name it in permissions.storage.buckets in manifest.yaml`);
  if (tag === 'other') {
    const text = String((payload as { val?: unknown }).val ?? '');
    const m = /^([a-z-]+): ([\s\S]*)$/.exec(text);
    if (m && CODES.has(m[1] as NodeErrorCode)) throw new NodeError(m[1] as NodeErrorCode, `${what}: ${m[2]}`);
    throw new NodeError('plugin-error', `${what}: ${text}`);
  }
  throw new NodeError('plugin-error', `${what}: ${thrown instanceof Error ? thrown.message : String(thrown)}`);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function openBucket(name: string, declared: readonly string[]): NodeKvBucket {
  if (!declared.includes(name)) {
    throw new NodeError('permission-denied', `ctx.kv.bucket("${name}"): "${name}" is not in permissions.storage.buckets (${declared.join(', ')}); add it in manifest.yaml and rebuild`);
  }
  let handle: Bucket | undefined;
  const b = (): Bucket => {
    if (handle) return handle;
    try {
      return (handle = store.open(name));
    } catch (thrown) {
      return rethrow(thrown, `ctx.kv: opening bucket "${name}"`, name);
    }
  };
  const call = <T>(what: string, fn: (bucket: Bucket) => T): T => {
    const bucket = b();
    try {
      return fn(bucket);
    } catch (thrown) {
      return rethrow(thrown, what, name);
    }
  };
  const bytes = (key: string): Uint8Array | undefined => call(`ctx.kv.get("${key}")`, (bk) => bk.get(key) ?? undefined);
  return {
    name,
    get<T = unknown>(key: string): T | undefined {
      const v = bytes(key);
      if (v === undefined) return undefined;
      const text = decoder.decode(v);
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new NodeError('invalid-input', `ctx.kv.get("${key}"): the stored value is not JSON (read it with getText or getBytes)`);
      }
    },
    getText: (key) => {
      const v = bytes(key);
      return v === undefined ? undefined : decoder.decode(v);
    },
    getBytes: bytes,
    set(key: string, value: unknown): void {
      const text = JSON.stringify(value);
      if (text === undefined) throw new NodeError('invalid-input', `ctx.kv.set("${key}"): the value is not JSON (${typeof value}); store text with setText or bytes with setBytes`);
      call(`ctx.kv.set("${key}")`, (bk) => bk.set(key, encoder.encode(text)));
    },
    setText: (key, text) => call(`ctx.kv.setText("${key}")`, (bk) => bk.set(key, encoder.encode(text))),
    setBytes: (key, value) => call(`ctx.kv.setBytes("${key}")`, (bk) => bk.set(key, value)),
    delete: (key) => call(`ctx.kv.delete("${key}")`, (bk) => bk.delete(key)),
    has: (key) => call(`ctx.kv.has("${key}")`, (bk) => bk.exists(key)),
    keys(): string[] {
      const out: string[] = [];
      let cursor: number | bigint | null | undefined;
      do {
        const page = call('ctx.kv.keys()', (bk) => bk.listKeys(cursor ?? undefined));
        out.push(...page.keys);
        cursor = page.cursor;
      } while (cursor !== undefined && cursor !== null);
      return out;
    },
    increment(key: string, delta = 1): number {
      if (!Number.isSafeInteger(delta) || delta < 0) throw new NodeError('invalid-input', `ctx.kv.increment("${key}", ${delta}): the delta must be a whole number ≥ 0`);
      return Number(call(`ctx.kv.increment("${key}")`, (bk) => atomics.increment(bk, key, delta)));
    },
  };
}

export function createKv(declared: { buckets: readonly string[] }): NodeKv {
  const buckets = new Map<string, NodeKvBucket>();
  const bucket = (name: string = declared.buckets[0]!): NodeKvBucket => {
    let b = buckets.get(name);
    if (!b) buckets.set(name, (b = openBucket(name, declared.buckets)));
    return b;
  };
  const first = (): NodeKvBucket => bucket();
  return {
    bucket,
    get: (key) => first().get(key),
    getText: (key) => first().getText(key),
    getBytes: (key) => first().getBytes(key),
    set: (key, value) => first().set(key, value),
    setText: (key, text) => first().setText(key, text),
    setBytes: (key, value) => first().setBytes(key, value),
    delete: (key) => first().delete(key),
    has: (key) => first().has(key),
    keys: () => first().keys(),
    increment: (key, delta) => first().increment(key, delta),
  };
}
