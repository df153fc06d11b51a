/**
 * Plugin storage on Redis: what queue workers on many machines serve `wasi:keyvalue` from, so
 * that a counter incremented by items run anywhere is exact (docs/SCALING.md, "Plugin storage on
 * the queue"). The same semantics as the SQLite backend (sqlite.ts): every write runs with its
 * quota check in one Lua script, which Redis runs atomically with respect to every other client,
 * so writers on different machines can neither lose an increment nor overshoot a quota together.
 *
 * Keys, under a prefix (default `pocket:kv`); a namespace or bucket has `%`, `:` and `@` escaped
 * (`%25`, `%3A`, `%40`), so no two of them can meet on one key:
 * - `P:{ns}:{bucket}`: a hash, key → value bytes;
 * - `P:{ns}:{bucket}:order`: a sorted set of the same keys, all of score 0, so in byte order:
 *   `list-keys` pages are ranges of it (ZRANGE by rank, O(log n + page));
 * - `P:{ns}`: a hash of the namespace's usage: `total`, and `b:{bucket}` for each bucket holding
 *   keys (bytes, as the quota counts them: key bytes plus value bytes);
 * - `P:@namespaces`: a set of the namespaces holding data (`storage ls`).
 * Emptied buckets and namespaces leave no key behind.
 *
 * One Redis server (or a primary with replicas), not Redis Cluster: a script touches keys of
 * several hash slots. The client (ioredis) is loaded and connected at the first operation, so the
 * host library does not load it unless a Redis backend is used.
 */
import type { Redis } from 'ioredis';
import type { QueueConnection } from '../queue/connection.js';
import { redactUrl } from '../queue/redact.js';
import { U64_MAX, type KeyPage, type KvBackend, type NamespaceUsage, type NotCounter, type OverQuota } from './backend.js';

/** Where the keys live unless told otherwise: apart from the queue's own `pocket-wit:…` and `bull:…` keys. */
export const DEFAULT_KV_PREFIX = 'pocket:kv';

/**
 * The quota check and write shared by `set` and `increment`, and the tidying shared by `delete`
 * and `clear`. KEYS: the bucket's hash, its order set, the namespace's usage hash, the set of
 * namespaces. ARGV: `b:{bucket}`, the namespace, then the script's own.
 */
const COMMON = `
local function put(key, value, quota)
  local existed = redis.call('HEXISTS', KEYS[1], key) == 1
  local before = existed and (#key + redis.call('HSTRLEN', KEYS[1], key)) or 0
  local after = #key + #value
  local used = tonumber(redis.call('HGET', KEYS[3], 'total') or '0')
  local would = used - before + after
  -- A write that does not grow what is stored is never refused (a namespace over a lowered quota can shrink).
  if quota >= 0 and after > before and would > quota then return {0, used, would} end
  redis.call('HSET', KEYS[1], key, value)
  if not existed then
    redis.call('ZADD', KEYS[2], 0, key)
    redis.call('SADD', KEYS[4], ARGV[2])
  end
  redis.call('HINCRBY', KEYS[3], 'total', after - before)
  redis.call('HINCRBY', KEYS[3], ARGV[1], after - before)
  return nil
end
local function tidy()
  if redis.call('EXISTS', KEYS[1]) == 0 then
    redis.call('DEL', KEYS[2])
    redis.call('HDEL', KEYS[3], ARGV[1])
    if redis.call('HLEN', KEYS[3]) <= 1 then
      redis.call('DEL', KEYS[3])
      redis.call('SREM', KEYS[4], ARGV[2])
    end
  end
end
`;

/** ARGV 3 key, 4 value, 5 quota (-1: none). {1} written, or {0, used, wouldBe}. */
const SET = `${COMMON}
return put(ARGV[3], ARGV[4], tonumber(ARGV[5])) or {1}
`;

/** ARGV 3 key. 1 when it was there. */
const DELETE = `${COMMON}
local key = ARGV[3]
if redis.call('HEXISTS', KEYS[1], key) == 0 then return 0 end
local n = #key + redis.call('HSTRLEN', KEYS[1], key)
redis.call('HDEL', KEYS[1], key)
redis.call('ZREM', KEYS[2], key)
redis.call('HINCRBY', KEYS[3], 'total', -n)
redis.call('HINCRBY', KEYS[3], ARGV[1], -n)
tidy()
return 1
`;

/** The whole bucket; how many keys went. */
const CLEAR_BUCKET = `${COMMON}
local n = redis.call('HLEN', KEYS[1])
local bytes = tonumber(redis.call('HGET', KEYS[3], ARGV[1]) or '0')
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('HINCRBY', KEYS[3], 'total', -bytes)
tidy()
return n
`;

/**
 * ARGV 3 key, 4 delta (a u64 in decimal), 5 quota. {1, new value}, {0, used, wouldBe}, or {2}
 * (not a counter). Lua has only doubles, so a u64 is two exact halves, base 1e10; the sum wraps
 * at 2^64 like a u64. A counter is read as backend.ts's `parseCounter` reads it: the text trimmed
 * of what JavaScript's `trim()` removes (ASCII and Unicode white space, as UTF-8), then 1 to 20
 * ASCII digits no larger than 2^64 - 1.
 */
const INCREMENT = `${COMMON}
local M = 1e10
local TOP_HI, TOP_LO = 1844674407, 3709551616 -- 2^64 = 18446744073709551616
local SPACES = { '\\194\\160', '\\225\\154\\128', '\\226\\128\\168', '\\226\\128\\169', '\\226\\128\\175', '\\226\\129\\159', '\\227\\128\\128', '\\239\\187\\191' }
for c = 128, 138 do SPACES[#SPACES + 1] = '\\226\\128' .. string.char(c) end -- U+2000..U+200A
local function spaceAt(s, i, fromEnd)
  local c = s:byte(i)
  if c == 32 or (c >= 9 and c <= 13) then return 1 end
  for _, w in ipairs(SPACES) do
    local piece = fromEnd and s:sub(i - #w + 1, i) or s:sub(i, i + #w - 1)
    if piece == w then return #w end
  end
  return 0
end
local function parse(s)
  local i, j = 1, #s
  while i <= j do local n = spaceAt(s, i, false); if n == 0 then break end; i = i + n end
  while j >= i do local n = spaceAt(s, j, true); if n == 0 then break end; j = j - n end
  s = s:sub(i, j)
  if #s < 1 or #s > 20 or not s:match('^%d+$') then return nil end
  if #s == 20 and s > '18446744073709551615' then return nil end
  return (#s > 10 and tonumber(s:sub(1, -11)) or 0), tonumber(s:sub(-10))
end
local key = ARGV[3]
local hi, lo = 0, 0
local old = redis.call('HGET', KEYS[1], key)
if old then
  hi, lo = parse(old)
  if not hi then return {2} end
end
local dh, dl = parse(ARGV[4])
hi, lo = hi + dh, lo + dl
if lo >= M then lo = lo - M; hi = hi + 1 end
if hi > TOP_HI or (hi == TOP_HI and lo >= TOP_LO) then
  hi, lo = hi - TOP_HI, lo - TOP_LO
  if lo < 0 then lo = lo + M; hi = hi - 1 end
end
local text = hi > 0 and string.format('%d%010d', hi, lo) or string.format('%d', lo)
return put(key, text, tonumber(ARGV[5])) or {1, text}
`;

type Script = (...args: (string | Buffer)[]) => Promise<unknown>;
/** The scripts, as `defineCommand` adds them to the client (EVALSHA, and EVAL after a Redis restart emptied its script cache). */
type Client = Redis & { kvSet: Script; kvDelete: Script; kvClearBucket: Script; kvIncrement: Script };

/** A namespace or bucket as one part of a key: `%`, `:` and `@` escaped. */
const part = (s: string): string => s.replace(/[%:@]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Strings in byte (UTF-8) order, as SQLite's binary collation sorts them. */
const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

export interface RedisBackendOptions {
  /** The key prefix (default `pocket:kv`). */
  prefix?: string;
}

export class RedisBackend implements KvBackend {
  readonly kind = 'redis';
  readonly location: string;
  readonly #conn: QueueConnection;
  readonly #prefix: string;
  #client: Promise<Client> | undefined;

  /** The Redis at `conn.url` (the queue's URL handling: password, database, TLS, `conn.caFile`). */
  constructor(conn: QueueConnection, options: RedisBackendOptions = {}) {
    this.#conn = conn;
    this.#prefix = options.prefix ?? DEFAULT_KV_PREFIX;
    this.location = redactUrl(conn.url);
  }

  /** The connected client (first use: a clear `queue-unavailable` error when Redis cannot be reached, and tried again at the next call). */
  #connect(): Promise<Client> {
    if (!this.#client) {
      const connecting = (async () => {
        const { connectRedis } = await import('../queue/connection.js');
        const client = (await connectRedis(this.#conn)) as Client;
        client.defineCommand('kvSet', { numberOfKeys: 4, lua: SET });
        client.defineCommand('kvDelete', { numberOfKeys: 4, lua: DELETE });
        client.defineCommand('kvClearBucket', { numberOfKeys: 4, lua: CLEAR_BUCKET });
        client.defineCommand('kvIncrement', { numberOfKeys: 4, lua: INCREMENT });
        return client;
      })();
      connecting.catch(() => {
        if (this.#client === connecting) this.#client = undefined;
      });
      this.#client = connecting;
    }
    return this.#client;
  }

  /** The hash of a namespace's usage. */
  #nsKey(ns: string): string {
    return `${this.#prefix}:${part(ns)}`;
  }

  /** The buckets a namespace's usage hash names. */
  async #buckets(client: Client, ns: string): Promise<string[]> {
    return Object.keys(await client.hgetall(this.#nsKey(ns))).filter((f) => f.startsWith('b:')).map((f) => f.slice(2));
  }

  /** The four keys a script of (ns, bucket) touches, then its first two arguments. */
  #keys(ns: string, bucket: string): [data: string, order: string, usage: string, namespaces: string, field: string, ns: string] {
    const data = `${this.#nsKey(ns)}:${part(bucket)}`;
    return [data, `${data}:order`, this.#nsKey(ns), `${this.#prefix}:@namespaces`, `b:${bucket}`, ns];
  }

  async get(ns: string, bucket: string, key: string): Promise<Uint8Array | undefined> {
    const v = await (await this.#connect()).hgetBuffer(this.#keys(ns, bucket)[0], key);
    return v ?? undefined;
  }

  async set(ns: string, bucket: string, key: string, value: Uint8Array, quotaBytes: number): Promise<OverQuota | undefined> {
    const r = (await (await this.#connect()).kvSet(...this.#keys(ns, bucket), key, Buffer.from(value.buffer, value.byteOffset, value.byteLength), quota(quotaBytes))) as number[];
    return r[0] === 0 ? { over: { usedBytes: r[1]!, wouldBe: r[2]! } } : undefined;
  }

  async delete(ns: string, bucket: string, key: string): Promise<boolean> {
    return (await (await this.#connect()).kvDelete(...this.#keys(ns, bucket), key)) === 1;
  }

  async exists(ns: string, bucket: string, key: string): Promise<boolean> {
    return (await (await this.#connect()).hexists(this.#keys(ns, bucket)[0], key)) === 1;
  }

  async listKeys(ns: string, bucket: string, cursor: number, limit: number): Promise<KeyPage> {
    // All scores are 0, so rank order is byte order; one more than a page says whether there is a next.
    const rows = await (await this.#connect()).zrangeBuffer(this.#keys(ns, bucket)[1], cursor, cursor + limit);
    const keys = rows.slice(0, limit).map((k) => k.toString('utf8'));
    return rows.length > limit ? { keys, next: cursor + limit } : { keys };
  }

  async increment(ns: string, bucket: string, key: string, delta: bigint, quotaBytes: number): Promise<bigint | OverQuota | NotCounter> {
    // A negative delta is its u64 two's complement: adding it wraps to the same value SQLite's `& U64_MAX` gives.
    const r = (await (await this.#connect()).kvIncrement(...this.#keys(ns, bucket), key, (delta & U64_MAX).toString(), quota(quotaBytes))) as (number | string)[];
    if (r[0] === 2) return { notCounter: true };
    if (r[0] === 0) return { over: { usedBytes: Number(r[1]), wouldBe: Number(r[2]) } };
    return BigInt(r[1]!);
  }

  async usage(ns?: string): Promise<NamespaceUsage[]> {
    const client = await this.#connect();
    const names = ns !== undefined ? [ns] : (await client.smembers(`${this.#prefix}:@namespaces`)).sort(byteOrder);
    const out: NamespaceUsage[] = [];
    // Not one snapshot: each namespace is read on its own (a listing, never a quota check).
    for (const name of names) {
      const fields = await client.hgetall(this.#nsKey(name));
      const buckets = Object.keys(fields).filter((f) => f.startsWith('b:')).map((f) => f.slice(2)).sort(byteOrder);
      const counts = await Promise.all(buckets.map((b) => client.hlen(this.#keys(name, b)[0])));
      const u: NamespaceUsage = { namespace: name, buckets: [], bytes: 0 };
      buckets.forEach((bucket, i) => {
        if (counts[i] === 0) return; // emptied meanwhile
        const bytes = Number(fields[`b:${bucket}`]);
        u.buckets.push({ bucket, keys: counts[i]!, bytes });
        u.bytes += bytes;
      });
      if (u.buckets.length > 0) out.push(u);
    }
    return out;
  }

  async clear(ns: string, bucket?: string, key?: string): Promise<number> {
    if (bucket !== undefined && key !== undefined) return (await this.delete(ns, bucket, key)) ? 1 : 0;
    const client = await this.#connect();
    // A whole namespace: bucket by bucket, each in one atomic step.
    const buckets = bucket !== undefined ? [bucket] : await this.#buckets(client, ns);
    let n = 0;
    for (const b of buckets) n += Number(await client.kvClearBucket(...this.#keys(ns, b)));
    return n;
  }

  async close(): Promise<void> {
    const connecting = this.#client;
    this.#client = undefined;
    const client = await connecting?.catch(() => undefined);
    if (!client) return;
    // QUIT lets the replies in flight arrive; a client that is reconnecting is just dropped.
    if (client.status === 'ready') await client.quit().catch(() => {});
    client.disconnect();
  }
}

/** A quota as a script argument: -1 for none (an infinite quota is never reached). */
function quota(bytes: number): string {
  return Number.isFinite(bytes) ? String(Math.floor(bytes)) : '-1';
}
