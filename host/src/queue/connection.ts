/**
 * Connecting to the Redis a batch queue lives on: the URL (`redis://`, `rediss://` for TLS), a
 * password from the environment, a private CA, and a first contact that turns every way of
 * failing into one clear `queue-unavailable` error.
 */
import { readFileSync } from 'node:fs';
import { Redis, type RedisOptions } from 'ioredis';
import { PluginError } from '../errors.js';
import { redactUrl } from './redact.js';

/** Where the queue is and how to reach it. */
export interface QueueConnection {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` (TLS). */
  url: string;
  /** The queue's name (default `pocket-wit`): producers and workers of one name work together. */
  name?: string;
  /** A PEM file with the CA that signed the server's certificate (with `rediss://`). */
  caFile?: string;
}

export const DEFAULT_QUEUE_NAME = 'pocket-wit';

/** The environment variable a password is taken from when the URL has none. */
export const PASSWORD_ENV = 'POCKET_WIT_REDIS_PASSWORD';

/** Kept here too: the queue's modules and `pocket-wit/queue` import it from this module. */
export { redactUrl };

/** ioredis options for the URL (its password, database, TLS), or a usage error naming the fix. */
export function redisOptions(conn: QueueConnection): { host: string; port: number; options: RedisOptions } {
  let u: URL;
  try {
    u = new URL(conn.url);
  } catch {
    throw new PluginError('invalid-input', `--queue "${conn.url}" is not a URL; write for example --queue redis://127.0.0.1:6379`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new PluginError('invalid-input', `--queue ${redactUrl(conn.url)}: only redis:// and rediss:// (TLS) URLs are supported`);
  }
  const db = u.pathname && u.pathname !== '/' ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new PluginError('invalid-input', `--queue ${redactUrl(conn.url)}: "${u.pathname.slice(1)}" is not a database number (write /0, /1, …)`);
  const options: RedisOptions = { db, maxRetriesPerRequest: null, connectionName: 'pocket-wit' };
  if (u.username) options.username = decodeURIComponent(u.username);
  const password = u.password ? decodeURIComponent(u.password) : process.env[PASSWORD_ENV];
  if (password) options.password = password;
  if (u.protocol === 'rediss:') {
    options.tls = { servername: u.hostname };
    if (conn.caFile) {
      try {
        options.tls.ca = readFileSync(conn.caFile);
      } catch (err) {
        throw new PluginError('not-found', `--queue-ca: cannot read ${conn.caFile}: ${(err as Error).message}`);
      }
    }
  } else if (conn.caFile) {
    throw new PluginError('invalid-input', `--queue-ca goes with a rediss:// (TLS) URL, not ${redactUrl(conn.url)}`);
  }
  return { host: u.hostname || '127.0.0.1', port: u.port ? Number(u.port) : 6379, options };
}

/** Why a first contact failed, in words a user can act on. */
function explain(err: Error & { code?: string }): string {
  const m = err.message;
  if (err.code === 'ECONNREFUSED' || /ECONNREFUSED/.test(m)) return 'connection refused (is redis-server running on that host and port?)';
  if (err.code === 'ENOTFOUND' || /ENOTFOUND|EAI_AGAIN/.test(m)) return 'unknown host';
  if (/WRONGPASS|invalid username-password|invalid password/i.test(m)) return `Redis refused the password (give it in the URL, redis://:PASSWORD@host:port, or in ${PASSWORD_ENV})`;
  if (/NOAUTH/.test(m)) return `Redis asks for a password and none was given (give it in the URL, redis://:PASSWORD@host:port, or in ${PASSWORD_ENV})`;
  if (/ETIMEDOUT|timed out/i.test(m)) return 'no answer in time';
  if (/certificate|SSL|TLS|EPROTO|self[- ]signed/i.test(m)) return `TLS failed: ${m} (give the server's CA with --queue-ca FILE)`;
  return m;
}

/**
 * A connected client, after a first `PING` has been answered: every failure (refused, unknown
 * host, password, TLS, timeout) is `queue-unavailable` naming the URL and the cause. Later, the
 * client reconnects by itself and commands wait for it (a Redis restart loses nothing).
 */
export async function connectRedis(conn: QueueConnection, timeoutMs = 5000): Promise<Redis> {
  const { host, port, options } = redisOptions(conn);
  const unavailable = (err: Error): PluginError => new PluginError('queue-unavailable', `cannot reach ${redactUrl(conn.url)}: ${explain(err)}`);
  // The first contact fails fast (no retries) so that a wrong URL is said at once.
  const probe = new Redis(port, host, { ...options, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs, enableOfflineQueue: false });
  let lastError: Error | undefined;
  probe.on('error', (err: Error) => (lastError = err));
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    probe.disconnect();
    throw unavailable(lastError && !/NOAUTH|WRONGPASS/.test((err as Error).message) ? lastError : (err as Error));
  }
  probe.disconnect();
  const client = new Redis(port, host, { ...options, retryStrategy: (times) => Math.min(times * 200, 2000) });
  // Errors while reconnecting are expected (Redis restarting); commands wait for the reconnect.
  client.on('error', () => {});
  return client;
}
