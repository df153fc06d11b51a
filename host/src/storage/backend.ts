/**
 * What a plugin-storage backend does: the operations of `wasi:keyvalue` on one namespace (a
 * plugin's name) and bucket, with the plugin's quota checked in the same atomic step as the write.
 * Two backends: SQLite on the local disk (sqlite.ts, the default) and Redis (redis.ts, for queue
 * batches spread over machines). Grants, names and messages live in plugin-storage.ts, once.
 */

/** A write the quota refused: what the namespace holds and what it would hold after the write. */
export interface OverQuota {
  over: { usedBytes: number; wouldBe: number };
}

/** An increment of a value that is not a counter (decimal text of a u64). */
export interface NotCounter {
  notCounter: true;
}

/** One page of keys, in byte order; `next` is the cursor of the next page. */
export interface KeyPage {
  keys: string[];
  next?: number;
}

/** One namespace's use of the store (`pocket-wit storage ls`). */
export interface NamespaceUsage {
  namespace: string;
  buckets: { bucket: string; keys: number; bytes: number }[];
  bytes: number;
}

export interface KvBackend {
  /** `sqlite` or `redis`, for messages. */
  readonly kind: string;
  /** Where the data is (a file path, a Redis address), for messages and `storage ls`. */
  readonly location: string;
  get(ns: string, bucket: string, key: string): Promise<Uint8Array | undefined>;
  /** Refused (nothing written) when it would take the namespace past `quotaBytes`; a write that shrinks what is stored is never refused. */
  set(ns: string, bucket: string, key: string, value: Uint8Array, quotaBytes: number): Promise<OverQuota | undefined>;
  delete(ns: string, bucket: string, key: string): Promise<boolean>;
  exists(ns: string, bucket: string, key: string): Promise<boolean>;
  listKeys(ns: string, bucket: string, cursor: number, limit: number): Promise<KeyPage>;
  /** Adds `delta` to the counter at `key` (absent: 0) atomically; the new value. */
  increment(ns: string, bucket: string, key: string, delta: bigint, quotaBytes: number): Promise<bigint | OverQuota | NotCounter>;
  /** The namespaces holding data (one, with `ns`). */
  usage(ns?: string): Promise<NamespaceUsage[]>;
  /** Removes a key, a bucket (no key) or the whole namespace (no bucket); how many keys went. */
  clear(ns: string, bucket?: string, key?: string): Promise<number>;
  close(): Promise<void>;
}

/** The bytes a pair counts for against a quota: its key's UTF-8 bytes plus its value's. */
export function pairBytes(key: string, valueBytes: number): number {
  return Buffer.byteLength(key) + valueBytes;
}

/** The largest counter: `increment` works on u64. */
export const U64_MAX = (1n << 64n) - 1n;

/** A stored counter's value, or undefined when `bytes` is not the decimal text of a u64. */
export function parseCounter(bytes: Uint8Array): bigint | undefined {
  const text = Buffer.from(bytes).toString('utf8').trim();
  if (!/^\d{1,20}$/.test(text)) return undefined;
  const n = BigInt(text);
  return n <= U64_MAX ? n : undefined;
}
