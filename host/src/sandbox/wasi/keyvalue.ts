/**
 * `wasi:keyvalue@0.2.0-draft` (`store` and `atomics`) for one instance, in the shapes jco's sync
 * glue expects: `open` and the `Bucket` resource class, `increment` taking a borrowed bucket. Each
 * operation is handed to `io.kv`, which the plugin worker answers from the host thread
 * (storage/plugin-storage.ts checks the grant and the quota there, once for every language).
 * Without `io.kv` (a worker given no storage) every `open` is `access-denied`.
 *
 * Errors are thrown as the `error` variant value (`{ tag: 'no-such-store' }`), which the glue
 * lowers into the result's `err` (errors.ts).
 */
import type { KvCall, KvError, KvReply } from '../../storage/plugin-storage.js';

/** The worker's way to the host's storage: synchronous (the worker blocks on the host thread). */
export type KvIo = (call: KvCall) => KvReply;

interface KeyResponse {
  keys: string[];
  cursor: bigint | undefined;
}

const DENIED: KvError = { tag: 'access-denied' };

export function createKeyvalue(kv: KvIo | undefined): { 'wasi:keyvalue/store': object; 'wasi:keyvalue/atomics': object } {
  const ask = (call: KvCall): unknown => {
    if (!kv) throw DENIED;
    const r = kv(call);
    if (!r.ok) throw r.e;
    return r.v;
  };
  class Bucket {
    readonly #name: string;
    constructor(name: string) {
      this.#name = name;
    }
    static nameOf(b: Bucket): string {
      return b.#name;
    }
    get(key: string): Uint8Array | undefined {
      const v = ask({ op: 'get', b: this.#name, k: key }) as string | null;
      return v === null ? undefined : new Uint8Array(Buffer.from(v, 'base64'));
    }
    set(key: string, value: Uint8Array): void {
      ask({ op: 'set', b: this.#name, k: key, v: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') });
    }
    delete(key: string): void {
      ask({ op: 'delete', b: this.#name, k: key });
    }
    exists(key: string): boolean {
      return ask({ op: 'exists', b: this.#name, k: key }) === true;
    }
    listKeys(cursor: bigint | undefined): KeyResponse {
      const c = cursor === undefined ? 0 : Number(cursor);
      const page = ask({ op: 'list', b: this.#name, ...(c > 0 ? { c } : {}) }) as { keys: string[]; next?: number };
      return { keys: page.keys, cursor: page.next === undefined ? undefined : BigInt(page.next) };
    }
  }
  return {
    'wasi:keyvalue/store': {
      Bucket,
      open(identifier: string): Bucket {
        ask({ op: 'open', b: identifier });
        return new Bucket(identifier);
      },
    },
    'wasi:keyvalue/atomics': {
      increment(bucket: Bucket, key: string, delta: bigint): bigint {
        return BigInt(ask({ op: 'incr', b: Bucket.nameOf(bucket), k: key, d: BigInt.asUintN(64, delta).toString() }) as string);
      },
    },
  };
}
