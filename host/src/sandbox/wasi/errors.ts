/**
 * Error values of the sandbox WASI, in the shapes jco's generated glue expects.
 *
 * In `instantiation: 'sync'` glue, an import returning `result<T, E>` reports `err` by throwing:
 * the glue catches, and lowers `e.payload` when the thrown value has an own `payload` property,
 * otherwise the thrown value itself; a thrown `Error` instance is *not* caught (it traps the
 * guest). So filesystem errors are thrown as the `error-code` enum string (`throw 'no-entry'`),
 * socket errors likewise (`throw 'access-denied'`), variants as `{ tag }` objects, and a unit
 * error (`result<T>`) as {@link UNIT_ERR}.
 */

import type { FilesystemTypes } from './contract.js';

/** `wasi:filesystem/types.error-code` (the shipped declaration, see contract.ts). */
export type FsErrorCode = FilesystemTypes.ErrorCode;

/** The thrown value for an `err` of a `result<T>` with no error type. */
export const UNIT_ERR: { readonly payload: undefined } = Object.freeze({ payload: undefined });

const ERRNO: Readonly<Record<string, FsErrorCode>> = {
  EACCES: 'access',
  EAGAIN: 'would-block',
  EWOULDBLOCK: 'would-block',
  EALREADY: 'already',
  EBADF: 'bad-descriptor',
  EBUSY: 'busy',
  EDEADLK: 'deadlock',
  EDQUOT: 'quota',
  EEXIST: 'exist',
  EFBIG: 'file-too-large',
  EILSEQ: 'illegal-byte-sequence',
  EINPROGRESS: 'in-progress',
  EINTR: 'interrupted',
  EINVAL: 'invalid',
  EIO: 'io',
  EISDIR: 'is-directory',
  ERR_FS_EISDIR: 'is-directory',
  ELOOP: 'loop',
  EMLINK: 'too-many-links',
  EMSGSIZE: 'message-size',
  ENAMETOOLONG: 'name-too-long',
  ENODEV: 'no-device',
  ENOENT: 'no-entry',
  ENOLCK: 'no-lock',
  ENOMEM: 'insufficient-memory',
  ENOSPC: 'insufficient-space',
  ENOTDIR: 'not-directory',
  ENOTEMPTY: 'not-empty',
  ENOTRECOVERABLE: 'not-recoverable',
  ENOTSUP: 'unsupported',
  EOPNOTSUPP: 'unsupported',
  ENOTTY: 'no-tty',
  ENXIO: 'no-such-device',
  EOVERFLOW: 'overflow',
  EPERM: 'not-permitted',
  EPIPE: 'pipe',
  EROFS: 'read-only',
  ESPIPE: 'invalid-seek',
  ETXTBSY: 'text-file-busy',
  EXDEV: 'cross-device',
  EMFILE: 'quota',
  ENFILE: 'quota',
  ERR_INVALID_ARG_VALUE: 'invalid',
};

/** True for a value that is already a filesystem error code (a string thrown by this module). */
export function isFsErrorCode(e: unknown): e is FsErrorCode {
  return typeof e === 'string';
}

/**
 * Maps whatever a node:fs call threw (or a code this module threw) to a filesystem error code.
 * Unknown failures become `io`, so a host-side surprise never traps the guest.
 */
export function fsErrorCode(e: unknown): FsErrorCode {
  if (isFsErrorCode(e)) return e;
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return ERRNO[code] ?? 'io';
  return 'io';
}

/** Runs `fn`, rethrowing any failure as a filesystem error code (the glue's `err` form). */
export function fsCall<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw fsErrorCode(e);
  }
}
