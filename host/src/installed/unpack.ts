/**
 * Unpacking an untrusted `.tgz` (a packed plugin) into a temp folder, within limits:
 *
 * - at most `maxEntries` entries (files and directories; default 1,000) and `maxBytes` of file
 *   contents once expanded (default 64 MB); the archive file itself may be at most `maxBytes`,
 *   and decompression stops as soon as the tar stream outgrows what those limits allow (a gzip
 *   bomb is never expanded in full, in memory or on disk);
 * - only regular files and directories, each under the archive's root: symbolic and hard links,
 *   devices, FIFOs, absolute paths and `..` are refused (the whole archive, not just the entry);
 * - every entry is checked before anything is written, then the archive is extracted with
 *   `tar` (synchronously, so nothing is still being written when the folder is removed);
 * - the temp folder (`<os tmpdir>/pocket-wit-unpack-*`) is removed when the caller's function
 *   returns or throws, and when the process exits while it still exists.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { Parser, UnpackSync, type ReadEntry } from 'tar';
import { PluginError } from '../errors.js';

export interface UnpackLimits {
  /** Most entries (files and directories) an archive may hold. */
  maxEntries: number;
  /** Most bytes of file contents an archive may expand to (and most bytes the archive may be). */
  maxBytes: number;
}

export const DEFAULT_UNPACK_LIMITS: Readonly<UnpackLimits> = Object.freeze({ maxEntries: 1000, maxBytes: 64 * 1024 * 1024 });

/** The temp folder prefix, under `os.tmpdir()`. */
export const UNPACK_PREFIX = 'pocket-wit-unpack-';

/** The entry types an archive may hold. `OldFile` and `ContiguousFile` are regular files too. */
const ALLOWED_TYPES = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory']);

/** Tar bytes beyond the contents: a header, a pax header and its data, padding, per entry. */
const OVERHEAD_PER_ENTRY = 2048;

const TYPE_WORDS: Record<string, string> = {
  SymbolicLink: 'a symbolic link',
  Link: 'a hard link',
  CharacterDevice: 'a character device',
  BlockDevice: 'a block device',
  FIFO: 'a FIFO',
};

/** `64 MB`, `1.5 MB`, `900 KB`, `100 bytes`. */
function mb(bytes: number): string {
  const [n, unit] = bytes >= 1024 * 1024 ? [bytes / (1024 * 1024), 'MB'] : bytes >= 1024 ? [bytes / 1024, 'KB'] : [bytes, 'bytes'];
  return `${Number.isInteger(n) ? n : n.toFixed(1)} ${unit}`;
}

function unsafe(archive: string, message: string, details: Record<string, unknown>): PluginError {
  return new PluginError('invalid-plugin', `${archive} was refused: ${message}; an archive may hold only regular files and directories under its root — re-pack it with \`pocket-wit pack <dir>\``, { details: { archive, ...details } });
}

function overLimit(archive: string, message: string, details: Record<string, unknown>): PluginError {
  return new PluginError('size-limit', `${archive} was refused: ${message}`, { details: { archive, ...details } });
}

/** Counts entries and contents and refuses any entry that is not a plain file or directory under the root. */
function entryChecker(archive: string, root: string, limits: UnpackLimits) {
  let entries = 0;
  let bytes = 0;
  return (entry: ReadEntry): PluginError | undefined => {
    const path = entry.path;
    if (!ALLOWED_TYPES.has(entry.type)) {
      const what = TYPE_WORDS[entry.type] ?? `an entry of type ${entry.type}`;
      return unsafe(archive, `entry ${path} is ${what}${entry.linkpath ? ` (to ${entry.linkpath})` : ''}`, { entry: path, type: entry.type });
    }
    if (path.includes('\0') || isAbsolute(path) || /^[A-Za-z]:/.test(path) || path.startsWith('\\')) {
      return unsafe(archive, `entry ${path} has an absolute path`, { entry: path });
    }
    if (path.split(/[\\/]+/).includes('..')) return unsafe(archive, `entry ${path} climbs out of the archive with ..`, { entry: path });
    const rel = relative(root, resolve(root, path));
    if (rel.startsWith('..') || isAbsolute(rel)) return unsafe(archive, `entry ${path} lies outside the archive's root`, { entry: path });
    entries += 1;
    if (entries > limits.maxEntries) {
      return overLimit(archive, `it holds more than ${limits.maxEntries.toLocaleString('en-US')} entries (the entry-count limit); a plugin archive needs a handful`, { limit: 'maxEntries', maxEntries: limits.maxEntries });
    }
    bytes += entry.size ?? 0;
    if (bytes > limits.maxBytes) {
      return overLimit(archive, `it expands to more than ${mb(limits.maxBytes)} (the expanded-size limit)`, { limit: 'maxBytes', maxBytes: limits.maxBytes });
    }
    return undefined;
  };
}

/** The archive as plain tar bytes, decompressed no further than the limits allow. */
async function tarBytes(archive: string, limits: UnpackLimits): Promise<Buffer> {
  let size: number;
  try {
    size = statSync(archive).size;
  } catch (err) {
    throw new PluginError('not-found', `cannot read ${archive}: ${(err as Error).message}`);
  }
  if (size > limits.maxBytes) {
    throw overLimit(archive, `the archive is ${mb(size)}, more than the ${mb(limits.maxBytes)} limit on archive size`, { limit: 'maxBytes', maxBytes: limits.maxBytes, size });
  }
  const raw = await readFile(archive);
  if (raw[0] !== 0x1f || raw[1] !== 0x8b) return raw; // plain tar: already within maxBytes
  const maxOutputLength = limits.maxBytes + (limits.maxEntries + 10) * OVERHEAD_PER_ENTRY;
  try {
    return await promisify(gunzip)(raw, { maxOutputLength });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw overLimit(archive, `it expands to more than ${mb(limits.maxBytes)} (the expanded-size limit)`, { limit: 'maxBytes', maxBytes: limits.maxBytes });
    }
    throw new PluginError('invalid-plugin', `${archive} is not a readable .tgz archive (${(err as Error).message}); make one with \`pocket-wit pack <dir>\``);
  }
}

/** Check every entry of `tar` without writing anything; throws the first problem. */
function checkEntries(archive: string, tar: Buffer, root: string, limits: UnpackLimits): void {
  const check = entryChecker(archive, root, limits);
  let problem: Error | undefined;
  let count = 0;
  const parser = new Parser({
    strict: true,
    onReadEntry: (entry) => {
      count += 1;
      problem ??= check(entry);
      entry.resume();
    },
  });
  parser.on('error', (err: Error) => (problem ??= err));
  parser.end(tar); // the parser handles a buffer synchronously
  if (problem instanceof PluginError) throw problem;
  if (problem || count === 0) {
    throw new PluginError('invalid-plugin', `${archive} is not a readable .tgz archive${problem ? ` (${problem.message})` : ' (no entries)'}; make one with \`pocket-wit pack <dir>\``);
  }
}

const live = new Set<string>();
let exitHook = false;

function removeFolder(dir: string): void {
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  live.delete(dir);
}

/**
 * Unpack `archive` (a `.tgz` or `.tar`) into a fresh temp folder within `limits`, call `use` with
 * the folder, and remove the folder afterwards, whether `use` succeeded or threw. Errors:
 * `size-limit` naming the limit hit, `invalid-plugin` for an unsafe entry or an unreadable archive.
 */
export async function withUnpackedArchive<T>(archive: string, use: (dir: string) => Promise<T>, limits: Partial<UnpackLimits> = {}): Promise<T> {
  const lim: UnpackLimits = { ...DEFAULT_UNPACK_LIMITS, ...limits };
  const tar = await tarBytes(archive, lim);
  const dir = mkdtempSync(join(tmpdir(), UNPACK_PREFIX));
  live.add(dir);
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const d of live) rmSync(d, { recursive: true, force: true });
    });
  }
  try {
    checkEntries(archive, tar, dir, lim);
    const check = entryChecker(archive, dir, lim);
    let refused: PluginError | undefined;
    // Checked above already; the filter applies the same rules again while extracting.
    const unpack = new UnpackSync({
      cwd: dir,
      strict: true,
      preserveOwner: false,
      noMtime: true,
      filter: (_path, entry) => {
        const problem = check(entry as ReadEntry);
        refused ??= problem;
        return problem === undefined;
      },
    });
    try {
      unpack.end(tar);
    } catch (err) {
      throw new PluginError('invalid-plugin', `${archive} could not be unpacked: ${(err as Error).message}; make one with \`pocket-wit pack <dir>\``);
    }
    if (refused) throw refused;
    return await use(dir);
  } finally {
    if (existsSync(dir)) removeFolder(dir);
    else live.delete(dir);
  }
}
