/**
 * The one place a plugin's `wasi:keyvalue` calls are checked and answered, for every runner and
 * language: component plugins' calls arrive over the sandbox channel (`{ h: 'kv' }`), Go plugins'
 * as protocol messages. A plugin sees only its own namespace (its name) and the buckets its grant
 * names; every write is checked against its quota in the backend's atomic step.
 *
 * Errors are `wasi:keyvalue/store.error` values: `access-denied` without a storage grant,
 * `no-such-store` for a bucket not granted, and `other("<code>: <message>")` for the rest, where
 * `<code>` is a pocket-wit error code (`permission-denied` for a quota) that the guest SDKs turn
 * into that code.
 */
import { formatBytes } from '../sandbox/format.js';
import type { KvBackend } from './backend.js';

/** What a plugin may store: its buckets, its quota, and where. */
export interface StorageGrant {
  /** The plugin's namespace: its name. */
  namespace: string;
  buckets: string[];
  quotaBytes: number;
  backend: KvBackend;
}

/** A `wasi:keyvalue` call, as the sandbox sends it (values base64, the delta as decimal text). */
export type KvCall =
  | { op: 'open'; b: string }
  | { op: 'get' | 'delete' | 'exists'; b: string; k: string }
  | { op: 'set'; b: string; k: string; v: string }
  | { op: 'list'; b: string; c?: number }
  | { op: 'incr'; b: string; k: string; d: string };

/** `wasi:keyvalue/store.error`, as jco's glue lowers it. */
export type KvError = { tag: 'no-such-store' } | { tag: 'access-denied' } | { tag: 'other'; val: string };

/** The answer: `v` is the result (base64 for a value, a decimal string for a counter). */
export type KvReply = { ok: true; v?: unknown } | { ok: false; e: KvError };

/** Keys per `list-keys` page. */
export const LIST_PAGE = 1000;

/** The longest key a plugin may use (bytes). */
export const MAX_KEY_BYTES = 4096;

const other = (code: string, message: string): KvReply => ({ ok: false, e: { tag: 'other', val: `${code}: ${message}` } });

/** Answer one call of `plugin`, granted `grant` (undefined: no storage permission). */
export async function answerKv(plugin: string, grant: StorageGrant | undefined, call: KvCall): Promise<KvReply> {
  if (!grant) return { ok: false, e: { tag: 'access-denied' } };
  if (!grant.buckets.includes(call.b)) return { ok: false, e: { tag: 'no-such-store' } };
  if (call.op === 'open') return { ok: true };
  if (call.op === 'list') {
    const page = await grant.backend.listKeys(grant.namespace, call.b, Math.max(0, Math.floor(call.c ?? 0)), LIST_PAGE);
    return { ok: true, v: page };
  }
  if (Buffer.byteLength(call.k) > MAX_KEY_BYTES) return other('invalid-input', `${plugin}: a storage key is ${Buffer.byteLength(call.k)} bytes, more than ${MAX_KEY_BYTES}`);
  const { backend, namespace: ns, quotaBytes } = grant;
  const quota = (wouldBe: number): KvReply =>
    other(
      'permission-denied',
      `${plugin}: writing "${call.k}" to bucket ${call.b} would store ${formatBytes(wouldBe)}, more than its storage quota of ${formatBytes(quotaBytes)} ` +
        `(permissions.storage.quota); delete keys (pocket-wit storage rm ${plugin}) or raise the quota`,
    );
  try {
    switch (call.op) {
      case 'get': {
        const v = await backend.get(ns, call.b, call.k);
        return { ok: true, v: v === undefined ? null : Buffer.from(v).toString('base64') };
      }
      case 'exists':
        return { ok: true, v: await backend.exists(ns, call.b, call.k) };
      case 'delete':
        await backend.delete(ns, call.b, call.k);
        return { ok: true };
      case 'set': {
        const r = await backend.set(ns, call.b, call.k, Buffer.from(call.v, 'base64'), quotaBytes);
        return r ? quota(r.over.wouldBe) : { ok: true };
      }
      case 'incr': {
        const r = await backend.increment(ns, call.b, call.k, BigInt(call.d), quotaBytes);
        if (typeof r === 'bigint') return { ok: true, v: r.toString() };
        if ('over' in r) return quota(r.over.wouldBe);
        return other('invalid-input', `${plugin}: increment of "${call.k}" in bucket ${call.b}: its value is not a counter (the decimal text of a u64)`);
      }
    }
  } catch (err) {
    return other('plugin-error', `${plugin}: storage (${backend.kind} at ${backend.location}) failed: ${(err as Error).message}`);
  }
}
