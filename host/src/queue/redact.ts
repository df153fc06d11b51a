/**
 * A Redis URL made safe to print. Its own module, free of the Redis client, so that code which
 * only names a Redis (the storage backend's `location`) does not load ioredis.
 */

/** The URL with its password replaced by `***`, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}
