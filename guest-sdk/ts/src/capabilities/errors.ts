/**
 * How WASI failures become SDK errors. The JS engine throws a failed WASI call as an `Error`
 * whose `payload` is the WIT error value: a case name (`no-entry`, `access-denied`) or a
 * variant (`{ tag: 'HTTP-request-denied' }`).
 */
import { NodeError, type NodeErrorCode } from '../index.js';

/** WASI error values that mean "the host does not grant this". */
const DENIED = new Set([
  'access', // wasi:filesystem
  'not-permitted', // wasi:filesystem: a path escaping its preopen
  'read-only', // wasi:filesystem: a write to a read-only directory
  'access-denied', // wasi:sockets
  'http-request-denied', // wasi:http (compared in lower case)
]);

/** The WASI error value carried by a thrown engine error (a case name or a variant tag), if any. */
export function wasiErrorCode(thrown: unknown): string | undefined {
  if (!thrown || typeof thrown !== 'object' || !('payload' in thrown)) return undefined;
  const payload = (thrown as { payload: unknown }).payload;
  if (typeof payload === 'string') return payload;
  if (payload && typeof payload === 'object' && typeof (payload as { tag?: unknown }).tag === 'string') return (payload as { tag: string }).tag;
  return undefined;
}

/** Whether a WASI error value means the host refused the capability. */
export function isDenied(code: string | undefined): boolean {
  return code !== undefined && DENIED.has(code.toLowerCase());
}

/** The SDK code for a WASI error value: `permission-denied`, `not-found` or `plugin-error`. */
export function codeOf(wasiCode: string | undefined): NodeErrorCode {
  if (isDenied(wasiCode)) return 'permission-denied';
  if (wasiCode === 'no-entry') return 'not-found';
  return 'plugin-error';
}

/** Rethrow a WASI failure as a {@link NodeError} whose message starts with `what`. */
export function rethrow(thrown: unknown, what: string): never {
  if (thrown instanceof NodeError) throw thrown;
  const wasi = wasiErrorCode(thrown);
  if (wasi === undefined) throw new NodeError('plugin-error', `${what}: ${thrown instanceof Error ? thrown.message : String(thrown)}`);
  const code = codeOf(wasi);
  const why = code === 'permission-denied' ? `permission denied by the host (${wasi})` : code === 'not-found' ? 'no such file or directory' : wasi;
  throw new NodeError(code, `${what}: ${why}`, { wasi });
}

/** Release a WASI handle now rather than at garbage collection. */
export function dispose(handle: { [Symbol.dispose]?: () => void } | undefined | null): void {
  try {
    handle?.[Symbol.dispose]?.();
  } catch {
    // already released
  }
}
