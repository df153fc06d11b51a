/**
 * `pocket-wit storage ls [plugin]`, `storage get <plugin> <key>`, `storage rm <plugin> [key]`:
 * inspect and clear what plugins keep in their storage (`permissions.storage`, docs/STORAGE.md).
 * Reads the same database the host writes: `$POCKET_HOME/storage/kv.sqlite` by default, another
 * file with `--file`, or the Redis queue workers keep storage in with `--redis`. A plugin's data is
 * its namespace (its name), split into buckets.
 */
import type { CAC } from 'cac';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PluginError } from '../../host/src/errors.js';
import { closestMatch } from '../../host/src/did-you-mean.js';
import { defaultStorageFile, SqliteBackend, type KvBackend, type NamespaceUsage } from '../../host/src/storage/index.js';
import { formatBytes } from '../../host/src/sandbox/format.js';
import { UsageError } from '../cli-support.js';
import { toolchainRoot } from '../../host/src/wit-world.js';
import { confirm } from '../ui/confirm.js';
import { table } from '../ui/table.js';

const ACTIONS = ['ls', 'get', 'rm'] as const;
type Action = (typeof ACTIONS)[number];

interface StorageOptions {
  bucket?: string;
  file?: string;
  raw?: boolean;
  yes?: boolean;
  json?: boolean;
  redis?: string;
  redisCa?: string;
}

/**
 * The Redis backend, from the compiled module under dist/ (or the source under tsx): a static
 * import would put the Redis client's loading into every CLI start.
 */
async function redisBackend(url: string, caFile: string | undefined): Promise<KvBackend> {
  const source = import.meta.url.endsWith('.ts')
    ? new URL('../../host/src/storage/redis.ts', import.meta.url).href
    : pathToFileURL(join(toolchainRoot(), 'dist', 'host', 'src', 'storage', 'redis.js')).href;
  const { RedisBackend } = (await import(source)) as typeof import('../../host/src/storage/redis.js');
  return new RedisBackend({ url, ...(caFile ? { caFile: resolve(caFile) } : {}) });
}

/** The backend the command reads: nothing is created when the SQLite file does not exist yet. */
async function openBackend(opts: StorageOptions): Promise<KvBackend | undefined> {
  if (opts.redis) return redisBackend(opts.redis, opts.redisCa);
  const file = opts.file ? resolve(opts.file) : defaultStorageFile();
  return existsSync(file) ? new SqliteBackend(file) : undefined;
}

/** The plugin's usage; `not-found` naming the plugins that have data when it has none. */
async function usageOf(backend: KvBackend | undefined, plugin: string, file: string): Promise<NamespaceUsage> {
  const all = backend ? await backend.usage() : [];
  const found = all.find((u) => u.namespace === plugin);
  if (found) return found;
  const near = closestMatch(plugin, all.map((u) => u.namespace));
  const have = all.length > 0 ? `plugins with data: ${all.map((u) => u.namespace).join(', ')}` : 'no plugin has stored anything yet';
  throw new PluginError('not-found', `${plugin} has no stored data in ${file}${near ? `; did you mean ${near}?` : ''} (${have})`);
}

/** The bucket a key-level command works on: `--bucket`, or the plugin's only bucket. */
function pickBucket(usage: NamespaceUsage, bucket: string | undefined): string {
  const names = usage.buckets.map((b) => b.bucket);
  if (bucket !== undefined) {
    if (!names.includes(bucket)) {
      const near = closestMatch(bucket, names);
      throw new PluginError('not-found', `${usage.namespace} has no data in bucket ${bucket}${near ? `; did you mean ${near}?` : ''} (its buckets: ${names.join(', ')})`);
    }
    return bucket;
  }
  if (names.length === 1) return names[0]!;
  throw new UsageError(`${usage.namespace} keeps data in ${names.length} buckets (${names.join(', ')}): name one with --bucket`);
}

/** A stored value for the terminal: pretty JSON, else text, else a note about its bytes. */
function showValue(value: Uint8Array): string {
  const text = Buffer.from(value).toString('utf8');
  if (Buffer.from(text, 'utf8').equals(Buffer.from(value)) && !/[\u0000-\u0008\u000e-\u001f]/.test(text)) {
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      return text;
    }
  }
  return `(${value.length} bytes of binary data; --raw writes them to stdout)`;
}

async function list(backend: KvBackend | undefined, file: string, plugin: string | undefined, opts: StorageOptions): Promise<void> {
  if (plugin === undefined) {
    const all = backend ? await backend.usage() : [];
    if (opts.json) return void process.stdout.write(`${JSON.stringify({ file, plugins: all })}\n`);
    if (all.length === 0) return void process.stdout.write(`no plugin has stored anything yet (${file})\n`);
    const rows = all.map((u) => [u.namespace, u.buckets.map((b) => b.bucket).join(', '), String(u.buckets.reduce((n, b) => n + b.keys, 0)), formatBytes(u.bytes)]);
    process.stdout.write(table(['PLUGIN', 'BUCKETS', 'KEYS', 'SIZE'], rows));
    return;
  }
  const usage = await usageOf(backend, plugin, file);
  const buckets = opts.bucket !== undefined ? [pickBucket(usage, opts.bucket)] : usage.buckets.map((b) => b.bucket);
  const keys: { bucket: string; key: string; bytes: number }[] = [];
  for (const bucket of buckets) {
    for (let cursor: number | undefined = 0; cursor !== undefined; ) {
      const page = await backend!.listKeys(plugin, bucket, cursor, 1000);
      for (const key of page.keys) keys.push({ bucket, key, bytes: (await backend!.get(plugin, bucket, key))?.length ?? 0 });
      cursor = page.next;
    }
  }
  if (opts.json) return void process.stdout.write(`${JSON.stringify({ file, plugin, keys })}\n`);
  process.stdout.write(table(['BUCKET', 'KEY', 'SIZE'], keys.map((k) => [k.bucket, k.key, formatBytes(k.bytes)])));
}

export function registerStorage(cli: CAC): void {
  cli
    .command('storage <action> [plugin] [key]', 'Inspect and clear plugins\' stored data: ls [plugin], get <plugin> <key>, rm <plugin> [key]')
    .option('--bucket <name>', 'The bucket (default: the plugin\'s only bucket; for rm without a key: remove just this bucket)')
    .option('--file <path>', 'The storage database (default: $POCKET_HOME/storage/kv.sqlite)')
    .option('--redis <url>', 'Read the storage queue workers keep in this Redis instead (redis://host:port[/db], rediss://…)')
    .option('--redis-ca <file>', 'With rediss://: a PEM file of the CA that signed the server certificate')
    .option('--raw', 'get: write the value\'s bytes to stdout as they are')
    .option('--yes', 'rm: do not ask for confirmation')
    .option('--json', 'Print JSON')
    .example('pocket-wit storage ls')
    .example('pocket-wit storage ls visit-counter')
    .example('pocket-wit storage get visit-counter calls --bucket counters')
    .example('pocket-wit storage rm visit-counter --yes')
    .action(async (actionArg: string, plugin: string | undefined, key: string | undefined, opts: StorageOptions) => {
      if (!(ACTIONS as readonly string[]).includes(actionArg)) {
        const near = closestMatch(actionArg, ACTIONS);
        throw new UsageError(`unknown storage action "${actionArg}"${near ? `; did you mean ${near}?` : ''} (one of: ${ACTIONS.join(', ')})`);
      }
      const action = actionArg as Action;
      if (opts.redis && opts.file) throw new UsageError('--file and --redis name two different stores: give one');
      const file = opts.redis ? 'redis' : opts.file ? resolve(opts.file) : defaultStorageFile();
      if (opts.file && !existsSync(file)) throw new PluginError('not-found', `no storage database at ${file}`);
      const backend = await openBackend(opts);
      const where = backend?.location ?? file;
      try {
        if (action === 'ls') {
          if (key !== undefined) throw new UsageError(`storage ls takes a plugin name only, got "${key}" too (to read a value: pocket-wit storage get ${plugin} ${key})`);
          return await list(backend, where, plugin, opts);
        }
        if (plugin === undefined) throw new UsageError(`storage ${action} needs a plugin name: pocket-wit storage ${action} <plugin>${action === 'get' ? ' <key>' : ' [key]'}`);
        const usage = await usageOf(backend, plugin, where);
        if (action === 'get') {
          if (key === undefined) throw new UsageError(`storage get needs a key: pocket-wit storage get ${plugin} <key> (pocket-wit storage ls ${plugin} lists them)`);
          const bucket = pickBucket(usage, opts.bucket);
          const value = await backend!.get(plugin, bucket, key);
          if (value === undefined) throw new PluginError('not-found', `${plugin} has no key "${key}" in bucket ${bucket} (pocket-wit storage ls ${plugin} lists its keys)`);
          if (opts.raw) return void process.stdout.write(value);
          if (opts.json) return void process.stdout.write(`${JSON.stringify({ plugin, bucket, key, bytes: value.length, base64: Buffer.from(value).toString('base64') })}\n`);
          process.stdout.write(`${showValue(value)}\n`);
          return;
        }
        // rm: a key, a bucket, or everything the plugin stored.
        const bucket = key !== undefined ? pickBucket(usage, opts.bucket) : opts.bucket !== undefined ? pickBucket(usage, opts.bucket) : undefined;
        const what = key !== undefined ? `key "${key}" of ${plugin} (bucket ${bucket})` : bucket !== undefined ? `bucket ${bucket} of ${plugin}` : `all stored data of ${plugin} (${formatBytes(usage.bytes)} in ${usage.buckets.length} bucket${usage.buckets.length === 1 ? '' : 's'})`;
        if (!(await confirm(`remove ${what}?`, opts.yes))) {
          process.stderr.write('nothing removed\n');
          return;
        }
        const n = await backend!.clear(plugin, bucket, key);
        if (key !== undefined && n === 0) throw new PluginError('not-found', `${plugin} has no key "${key}" in bucket ${bucket}`);
        if (opts.json) process.stdout.write(`${JSON.stringify({ plugin, ...(bucket !== undefined ? { bucket } : {}), ...(key !== undefined ? { key } : {}), removed: n })}\n`);
        else process.stdout.write(`removed ${n} key${n === 1 ? '' : 's'}: ${what}\n`);
      } finally {
        await backend?.close();
      }
    });
}
