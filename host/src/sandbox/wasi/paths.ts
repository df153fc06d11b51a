/**
 * Guest path resolution confined to a preopened directory.
 *
 * Node has no `openat`, so every guest path is resolved here, one component at a time, against
 * the host directory the preopen is rooted at: `lstat` each component, follow symlinks by hand
 * (their targets are spliced into the remaining components), and keep the walk inside the root.
 * Refused with `not-permitted`: an absolute guest path, a `..` that would climb above the
 * directory the path is resolved from, a symlink with an absolute target, a relative symlink
 * whose target climbs above that directory. That directory (the descriptor's, `base`) is the
 * boundary, not only the preopen root: WASI gives each directory descriptor its own confinement
 * (wasmtime's cap-std does the same), so `sub/../x` from a descriptor of `sub`'s parent works but
 * `../x` from a descriptor of `sub` is refused, though both stay inside the root. The result is a
 * host path whose directories are all real (no symlinks) and inside the root; callers then
 * operate on it without following a final symlink (`O_NOFOLLOW`, `lstat`, ...).
 */
import { lstatSync, readlinkSync, type Stats } from 'node:fs';
import { fsErrorCode, type FsErrorCode } from './errors.js';

/** Most symlinks followed while resolving one path (Linux's limit). */
const MAX_SYMLINKS = 40;

export interface Resolved {
  /** Components below the root, all real (the last may be a symlink if not followed, or missing). */
  segments: string[];
  /** Absolute host path (`root` joined with `segments`). */
  host: string;
  /** `lstat` of the final component, or undefined when it does not exist. */
  stat: Stats | undefined;
  /** The guest path ended with `/` (the final component must then be a directory). */
  trailingSlash: boolean;
}

/** Joins the root and components into a host path. */
export function hostPath(root: string, segments: readonly string[]): string {
  if (segments.length === 0) return root;
  return (root === '/' ? '' : root) + '/' + segments.join('/');
}

/** True when `host` is `root` or below it. */
export function isInside(root: string, host: string): boolean {
  return host === root || host.startsWith(root.endsWith('/') ? root : root + '/');
}

function refuse(code: FsErrorCode): never {
  throw code;
}

/**
 * Resolves `path` (relative, as the guest gave it) from the directory `base` (components below
 * `root`). `followFinal` says whether a symlink in the last component is followed; a trailing
 * slash always follows it. Throws a filesystem error code on refusal or failure.
 */
export function resolvePath(root: string, base: readonly string[], path: string, followFinal: boolean): Resolved {
  if (path.includes('\0')) refuse('invalid');
  if (path.startsWith('/')) refuse('not-permitted');
  if (path.length > 4096) refuse('name-too-long');
  const trailingSlash = path.endsWith('/');
  let pending = path.split('/');
  const current = [...base];
  let followed = 0;
  let lastStat: Stats | undefined = undefined;
  // The final component's stats are only meaningful when the final step was a real lookup.
  let finalIsLookup = false;

  while (pending.length > 0) {
    const segment = pending.shift()!;
    const rest = pending.filter((s) => s !== '' && s !== '.');
    const isFinal = rest.length === 0;
    if (segment === '' || segment === '.') {
      if (isFinal && !finalIsLookup) {
        // The path ends on a directory we are already in (e.g. "." or "a/").
        lastStat = statOrThrow(hostPath(root, current));
        finalIsLookup = true;
      }
      continue;
    }
    if (segment === '..') {
      // Each directory descriptor is its own boundary (as in WASI hosts built on cap-std): `..`
      // may climb back up to `base`, never above it, even while still inside the root.
      if (current.length <= base.length) refuse('not-permitted');
      current.pop();
      if (isFinal) {
        lastStat = statOrThrow(hostPath(root, current));
        finalIsLookup = true;
      } else finalIsLookup = false;
      continue;
    }
    const candidate = hostPath(root, [...current, segment]);
    let st: Stats | undefined;
    try {
      st = lstatSync(candidate);
    } catch (e) {
      const code = fsErrorCode(e);
      if (code !== 'no-entry') throw code;
      st = undefined;
    }
    if (st === undefined) {
      // Missing: fine as the final component (create), otherwise the walk cannot go on.
      if (!isFinal) refuse('no-entry');
      current.push(segment);
      return { segments: current, host: hostPath(root, current), stat: undefined, trailingSlash };
    }
    if (st.isSymbolicLink() && (!isFinal || followFinal || trailingSlash)) {
      if (++followed > MAX_SYMLINKS) refuse('loop');
      let target: string;
      try {
        target = readlinkSync(candidate);
      } catch (e) {
        throw fsErrorCode(e);
      }
      if (target.startsWith('/')) refuse('not-permitted');
      // The target is relative to the directory holding the link (`current`, all real).
      pending = [...target.split('/'), ...(trailingSlash && isFinal ? [''] : []), ...pending];
      if (pending.every((s) => s === '' || s === '.')) {
        // A link to "." or "": it names the directory we are in.
        lastStat = statOrThrow(hostPath(root, current));
        finalIsLookup = true;
        pending = [];
      }
      continue;
    }
    if (!isFinal && !st.isDirectory()) refuse('not-directory');
    current.push(segment);
    lastStat = st;
    finalIsLookup = true;
  }
  if (trailingSlash && lastStat && !lastStat.isDirectory()) refuse('not-directory');
  return { segments: current, host: hostPath(root, current), stat: lastStat, trailingSlash };
}

/**
 * The last meaningful component of a guest path ('' when there is none): operations that remove
 * or rename refuse `.` and `..` there, as POSIX does, so a guest cannot name a preopen root or
 * its ancestors through them.
 */
export function finalComponent(path: string): string {
  const parts = path.split('/').filter((s) => s !== '');
  return parts[parts.length - 1] ?? '';
}

function statOrThrow(host: string): Stats {
  try {
    return lstatSync(host);
  } catch (e) {
    throw fsErrorCode(e);
  }
}
