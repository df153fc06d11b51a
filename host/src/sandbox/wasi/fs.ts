/**
 * `wasi:filesystem/types` and `wasi:filesystem/preopens` for one instance, confined to the
 * directories granted.
 *
 * - The preopens are exactly the granted directories (guest path → a descriptor rooted at the
 *   host path); nothing else, never `/`.
 * - Every guest path goes through `resolvePath` (paths.ts): absolute paths, `..` above the
 *   directory descriptor the path is resolved from (each one is its own boundary, as in WASI),
 *   absolute symlinks and symlinks leading out of it fail with `not-permitted`. Files are
 *   then opened with `O_NOFOLLOW` on the resolved path, and (where `/proc` exists) the opened
 *   descriptor's real path is checked to be inside the root, which catches a directory swapped
 *   for a symlink between resolution and `open`.
 * - `symlink-at` and `link-at` always fail with `not-permitted`, by policy (docs/SECURITY.md,
 *   "Links"): a guest could otherwise plant a link for a later escape, or hard-link a file it may
 *   not write; plugins do not need to make links.
 * - A directory granted read-only refuses every change with `read-only`: opening with
 *   `create`, `truncate` or the `write` flag, `write`, `write-via-stream`, `append-via-stream`,
 *   `set-size`, `set-times(-at)`, `create-directory-at`, `remove-directory-at`,
 *   `unlink-file-at`, `rename-at` (either side). Reading works.
 * - Only regular files and directories can be opened (a FIFO or device would block or reach
 *   outside the tree): anything else fails with `not-permitted`.
 *
 * Errors are thrown as `error-code` strings, the form jco's sync glue lowers into `result::err`.
 * Node errno codes are mapped in errors.ts.
 */
import {
  closeSync,
  constants,
  fdatasyncSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  futimesSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  opendirSync,
  readSync,
  readlinkSync,
  renameSync,
  rmdirSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeSync,
  type BigIntStats,
  type Dir,
  type Dirent,
} from 'node:fs';
import type { FilesystemTypes, WasiImports } from './contract.js';
import { fsCall, fsErrorCode, type FsErrorCode } from './errors.js';
import { MAX_READ_CHUNK, StreamFailure, type Io, type InputStreamInstance, type OutputStreamInstance } from './io.js';
import { finalComponent, hostPath, isInside, resolvePath, type Resolved } from './paths.js';

type Advice = FilesystemTypes.Advice;
type Datetime = FilesystemTypes.Datetime;
type DescriptorFlags = FilesystemTypes.DescriptorFlags;
type DescriptorStat = FilesystemTypes.DescriptorStat;
type DescriptorType = FilesystemTypes.DescriptorType;
type DirectoryEntry = FilesystemTypes.DirectoryEntry;
type MetadataHashValue = FilesystemTypes.MetadataHashValue;
type NewTimestamp = FilesystemTypes.NewTimestamp;
type OpenFlags = FilesystemTypes.OpenFlags;
type PathFlags = FilesystemTypes.PathFlags;

/**
 * A granted directory: where the guest sees it (e.g. `/data`), the host folder (absolute, already
 * realpath'd) and whether the guest may change it. The one shape of a directory grant, from the
 * policy to the filesystem and `plugin.permissions`.
 */
export interface DirGrant {
  guest: string;
  host: string;
  writable: boolean;
}

/** Open host resources (file descriptors, directory handles) of one instance. */
export class ResourceTracker {
  /** Most host handles one instance may hold open at once. */
  static readonly MAX_OPEN = 512;
  readonly #open = new Set<() => void>();

  /** Registers a closer; throws `quota` when the instance already holds too many handles. */
  add(close: () => void): () => void {
    if (this.#open.size >= ResourceTracker.MAX_OPEN) {
      close();
      throw 'quota' satisfies FsErrorCode;
    }
    this.#open.add(close);
    return close;
  }
  /** Runs and forgets a closer (idempotent). */
  release(close: (() => void) | undefined): void {
    if (close && this.#open.delete(close)) {
      try {
        close();
      } catch {
        // already closed
      }
    }
  }
  /** Closes everything still open. */
  closeAll(): void {
    for (const close of [...this.#open]) this.release(close);
  }
  get size(): number {
    return this.#open.size;
  }
}

/**
 * Safety net for files whose descriptor is garbage-collected without being dropped or disposed
 * (an instance abandoned by its worker): their host fd is closed then. Holds only closers.
 */
const leakGuard = new FinalizationRegistry<() => void>((close) => {
  try {
    close();
  } catch {
    // already closed
  }
});

const symbolDispose: symbol = (Symbol as unknown as { dispose?: symbol }).dispose ?? Symbol.for('dispose');
const NS = 1_000_000_000n;
const toDatetime = (ns: bigint): Datetime => ({ seconds: ns / NS, nanoseconds: Number(ns % NS) });

function typeOf(st: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): DescriptorType {
  if (st.isFile()) return 'regular-file';
  if (st.isDirectory()) return 'directory';
  if (st.isSymbolicLink()) return 'symbolic-link';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice()) return 'character-device';
  if (st.isBlockDevice()) return 'block-device';
  return 'unknown';
}

function toStat(st: BigIntStats): DescriptorStat {
  return {
    type: typeOf(st),
    linkCount: st.nlink,
    size: st.size,
    dataAccessTimestamp: toDatetime(st.atimeNs),
    dataModificationTimestamp: toDatetime(st.mtimeNs),
    statusChangeTimestamp: toDatetime(st.ctimeNs),
  };
}

/** Seconds (fractional) for node's utimes family, given the current value for `no-change`. */
function timeArg(ts: NewTimestamp, currentNs: bigint): number {
  switch (ts.tag) {
    case 'no-change':
      return Number(currentNs) / 1e9;
    case 'now':
      return Date.now() / 1000;
    case 'timestamp':
      return Number(ts.val.seconds) + ts.val.nanoseconds / 1e9;
    default:
      throw 'invalid' satisfies FsErrorCode;
  }
}

const HAS_PROC = (() => {
  try {
    return statSync('/proc/self/fd').isDirectory();
  } catch {
    return false;
  }
})();

/** After `open`: the descriptor really is inside `root` (checked through /proc when available). */
function checkOpenedInside(fd: number, root: string): void {
  if (!HAS_PROC) return;
  let real: string;
  try {
    real = readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return;
  }
  if (!isInside(root, real)) throw 'not-permitted' satisfies FsErrorCode;
}

export interface Filesystem {
  imports: Pick<WasiImports, 'wasi:filesystem/types' | 'wasi:filesystem/preopens'>;
}

/** Builds one instance's filesystem over the granted directories. */
export function createFilesystem(dirs: readonly DirGrant[], io: Io, tracker: ResourceTracker): Filesystem {
  class DirectoryEntryStream implements FilesystemTypes.DirectoryEntryStream {
    #dir: Dir;
    #close: (() => void) | undefined;
    constructor(dir: Dir) {
      this.#dir = dir;
      this.#close = tracker.add(() => dir.closeSync());
    }
    readDirectoryEntry(): DirectoryEntry | undefined {
      if (!this.#close) throw 'bad-descriptor' satisfies FsErrorCode;
      const entry: Dirent | null = fsCall(() => this.#dir.readSync());
      if (entry === null) return undefined;
      return { type: typeOf(entry), name: entry.name };
    }
    dispose(): void {
      tracker.release(this.#close);
      this.#close = undefined;
    }
  }

  class Descriptor implements FilesystemTypes.Descriptor {
    #root: string;
    #writable: boolean;
    #segments: string[];
    #flags: DescriptorFlags;
    /** Open file descriptor for a regular file; undefined for a directory. */
    #fd: number | undefined;
    #close: (() => void) | undefined;

    constructor(root: string, writable: boolean, segments: string[], flags: DescriptorFlags, fd?: number) {
      this.#root = root;
      this.#writable = writable;
      this.#segments = segments;
      this.#flags = flags;
      this.#fd = fd;
      if (fd !== undefined) {
        let open = true;
        // Idempotent: the fd number may be reused by another file once closed.
        const close = (): void => {
          if (open) {
            open = false;
            closeSync(fd);
          }
        };
        try {
          this.#close = tracker.add(close);
        } catch (e) {
          throw fsErrorCode(e);
        }
        leakGuard.register(this, close, this);
      }
    }

    get #host(): string {
      return hostPath(this.#root, this.#segments);
    }
    #isDir(): boolean {
      return this.#fd === undefined;
    }
    /** The open fd of a file descriptor (throws `is-directory` for a directory, `bad-descriptor` once closed). */
    #file(): number {
      if (this.#isDir()) throw 'is-directory' satisfies FsErrorCode;
      if (!this.#close) throw 'bad-descriptor' satisfies FsErrorCode;
      return this.#fd!;
    }
    #dir(): void {
      if (!this.#isDir()) throw 'not-directory' satisfies FsErrorCode;
    }
    #mustWrite(): void {
      if (!this.#writable) throw 'read-only' satisfies FsErrorCode;
    }
    #resolve(path: string, follow: boolean): Resolved {
      this.#dir();
      return resolvePath(this.#root, this.#segments, path, follow);
    }
    /** Resolves a path naming an entry to remove or rename: never the root, `.` or `..`. */
    #resolveEntry(path: string): Resolved {
      const last = finalComponent(path);
      if (last === '.' || last === '..') throw 'invalid' satisfies FsErrorCode;
      const r = this.#resolve(path, false);
      if (r.segments.length === 0) throw 'not-permitted' satisfies FsErrorCode;
      if (r.stat === undefined) throw 'no-entry' satisfies FsErrorCode;
      return r;
    }
    #bigStat(): BigIntStats {
      return fsCall(() => (this.#isDir() ? lstatSync(this.#host, { bigint: true }) : fstatSync(this.#file(), { bigint: true })));
    }

    readViaStream(offset: bigint): InputStreamInstance {
      const fd = this.#file();
      let pos = Number(offset);
      return new io.InputStream({
        read: (max: number): Uint8Array | null => {
          const buf = new Uint8Array(max);
          let n: number;
          try {
            n = readSync(fd, buf, 0, max, pos);
          } catch (e) {
            throw new StreamFailure((e as Error).message, fsErrorCode(e));
          }
          if (n === 0) return null;
          pos += n;
          return buf.subarray(0, n);
        },
      });
    }
    writeViaStream(offset: bigint): OutputStreamInstance {
      this.#mustWrite();
      const fd = this.#file();
      let pos = Number(offset);
      return new io.OutputStream({
        write: (bytes: Uint8Array): void => {
          pos += writeAll(fd, bytes, pos);
        },
      });
    }
    appendViaStream(): OutputStreamInstance {
      this.#mustWrite();
      const fd = this.#file();
      return new io.OutputStream({
        write: (bytes: Uint8Array): void => {
          let end: number;
          try {
            end = fstatSync(fd).size;
          } catch (e) {
            throw new StreamFailure((e as Error).message, fsErrorCode(e));
          }
          writeAll(fd, bytes, end);
        },
      });
    }
    advise(_offset: bigint, _length: bigint, _advice: Advice): void {
      this.#file();
    }
    syncData(): void {
      if (this.#isDir()) return;
      const fd = this.#file();
      syncIgnoringUnsupported(() => fdatasyncSync(fd));
    }
    sync(): void {
      if (this.#isDir()) return;
      const fd = this.#file();
      syncIgnoringUnsupported(() => fsyncSync(fd));
    }
    getFlags(): DescriptorFlags {
      return { ...this.#flags };
    }
    getType(): DescriptorType {
      if (this.#isDir()) return 'directory';
      return typeOf(this.#bigStat());
    }
    setSize(size: bigint): void {
      this.#mustWrite();
      const fd = this.#file();
      fsCall(() => ftruncateSync(fd, Number(size)));
    }
    setTimes(atime: NewTimestamp, mtime: NewTimestamp): void {
      this.#mustWrite();
      const st = this.#bigStat();
      const a = timeArg(atime, st.atimeNs);
      const m = timeArg(mtime, st.mtimeNs);
      if (this.#isDir()) fsCall(() => utimesSync(this.#host, a, m));
      else fsCall(() => futimesSync(this.#file(), a, m));
    }
    read(length: bigint, offset: bigint): [Uint8Array, boolean] {
      const fd = this.#file();
      const max = Math.min(Number(length), MAX_READ_CHUNK);
      if (max === 0) return [new Uint8Array(0), false];
      const buf = new Uint8Array(max);
      const n = fsCall(() => readSync(fd, buf, 0, max, Number(offset)));
      return [buf.subarray(0, n), n < max];
    }
    write(buffer: Uint8Array, offset: bigint): bigint {
      this.#mustWrite();
      const fd = this.#file();
      return BigInt(fsCall(() => writeSync(fd, buffer, 0, buffer.length, Number(offset))));
    }
    readDirectory(): DirectoryEntryStream {
      this.#dir();
      const host = this.#host;
      const dir = fsCall(() => opendirSync(host));
      try {
        return new DirectoryEntryStream(dir);
      } catch (e) {
        throw fsErrorCode(e);
      }
    }
    createDirectoryAt(path: string): void {
      this.#dir();
      this.#mustWrite();
      const r = this.#resolve(path, false);
      if (r.stat !== undefined) throw 'exist' satisfies FsErrorCode;
      fsCall(() => mkdirSync(r.host));
    }
    stat(): DescriptorStat {
      return toStat(this.#bigStat());
    }
    statAt(pathFlags: PathFlags, path: string): DescriptorStat {
      const r = this.#resolve(path, !!pathFlags.symlinkFollow);
      if (r.stat === undefined) throw 'no-entry' satisfies FsErrorCode;
      return toStat(fsCall(() => lstatSync(r.host, { bigint: true })));
    }
    setTimesAt(pathFlags: PathFlags, path: string, atime: NewTimestamp, mtime: NewTimestamp): void {
      this.#dir();
      this.#mustWrite();
      const r = this.#resolve(path, !!pathFlags.symlinkFollow);
      if (r.stat === undefined) throw 'no-entry' satisfies FsErrorCode;
      const st = fsCall(() => lstatSync(r.host, { bigint: true }));
      const a = timeArg(atime, st.atimeNs);
      const m = timeArg(mtime, st.mtimeNs);
      // After resolution no component is a followed symlink: lutimes never leaves the tree.
      fsCall(() => lutimesSync(r.host, a, m));
    }
    linkAt(_oldPathFlags: PathFlags, _oldPath: string, _newDescriptor: Descriptor, _newPath: string): void {
      throw 'not-permitted' satisfies FsErrorCode;
    }
    symlinkAt(_oldPath: string, _newPath: string): void {
      throw 'not-permitted' satisfies FsErrorCode;
    }
    openAt(pathFlags: PathFlags, path: string, openFlags: OpenFlags, flags: DescriptorFlags): Descriptor {
      this.#dir();
      const wantsChange = !!flags.write || !!openFlags.create || !!openFlags.truncate;
      if (wantsChange && !this.#writable) throw 'read-only' satisfies FsErrorCode;
      const r = this.#resolve(path, !!pathFlags.symlinkFollow);
      if (r.stat === undefined) {
        if (!openFlags.create) throw 'no-entry' satisfies FsErrorCode;
        if (openFlags.directory) throw 'invalid' satisfies FsErrorCode;
        if (r.trailingSlash) throw 'is-directory' satisfies FsErrorCode;
      } else {
        if (openFlags.create && openFlags.exclusive) throw 'exist' satisfies FsErrorCode;
        // A final symlink left unfollowed (no `symlink-follow`): what O_NOFOLLOW answers.
        if (r.stat.isSymbolicLink()) throw (openFlags.directory ? 'not-directory' : 'loop') satisfies FsErrorCode;
        if (openFlags.directory && !r.stat.isDirectory()) throw 'not-directory' satisfies FsErrorCode;
        if (r.stat.isDirectory()) {
          if (flags.write || openFlags.truncate) throw 'is-directory' satisfies FsErrorCode;
          // Check the directory opened is the one resolved, inside the root.
          const fd = fsCall(() => openSync(r.host, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW));
          try {
            checkOpenedInside(fd, this.#root);
          } finally {
            closeSync(fd);
          }
          const dirFlags: DescriptorFlags = { read: true, mutateDirectory: this.#writable && !!flags.mutateDirectory };
          return new Descriptor(this.#root, this.#writable, r.segments, dirFlags);
        }
        if (!r.stat.isFile()) throw 'not-permitted' satisfies FsErrorCode;
      }
      let oflags = constants.O_NOFOLLOW | constants.O_NONBLOCK;
      if (flags.read && flags.write) oflags |= constants.O_RDWR;
      else if (flags.write) oflags |= constants.O_WRONLY;
      else oflags |= constants.O_RDONLY;
      if (openFlags.create) oflags |= constants.O_CREAT;
      if (openFlags.create && openFlags.exclusive) oflags |= constants.O_EXCL;
      if (openFlags.truncate) oflags |= constants.O_TRUNC;
      if (flags.write && flags.fileIntegritySync) oflags |= constants.O_SYNC;
      if (flags.write && flags.dataIntegritySync) oflags |= constants.O_DSYNC;
      const fd = fsCall(() => openSync(r.host, oflags, 0o666));
      try {
        checkOpenedInside(fd, this.#root);
        if (!fstatSync(fd).isFile()) throw 'not-permitted' satisfies FsErrorCode;
      } catch (e) {
        closeSync(fd);
        throw fsErrorCode(e);
      }
      const fileFlags: DescriptorFlags = {
        read: !!flags.read,
        write: !!flags.write,
        fileIntegritySync: !!flags.fileIntegritySync,
        dataIntegritySync: !!flags.dataIntegritySync,
        requestedWriteSync: !!flags.requestedWriteSync,
      };
      return new Descriptor(this.#root, this.#writable, r.segments, fileFlags, fd);
    }
    readlinkAt(path: string): string {
      const r = this.#resolve(path, false);
      if (r.stat === undefined) throw 'no-entry' satisfies FsErrorCode;
      if (!r.stat.isSymbolicLink()) throw 'invalid' satisfies FsErrorCode;
      const target = fsCall(() => readlinkSync(r.host));
      // An absolute target names a host path: not the guest's business.
      if (target.startsWith('/')) throw 'not-permitted' satisfies FsErrorCode;
      return target;
    }
    removeDirectoryAt(path: string): void {
      this.#dir();
      this.#mustWrite();
      const r = this.#resolveEntry(path);
      fsCall(() => rmdirSync(r.host));
    }
    renameAt(oldPath: string, newDescriptor: Descriptor, newPath: string): void {
      this.#dir();
      if (!(newDescriptor instanceof Descriptor)) throw 'bad-descriptor' satisfies FsErrorCode;
      this.#mustWrite();
      newDescriptor.#mustWrite();
      const from = this.#resolveEntry(oldPath);
      const lastNew = finalComponent(newPath);
      if (lastNew === '.' || lastNew === '..') throw 'invalid' satisfies FsErrorCode;
      const to = newDescriptor.#resolve(newPath, false);
      if (to.segments.length === 0) throw 'not-permitted' satisfies FsErrorCode;
      fsCall(() => renameSync(from.host, to.host));
    }
    unlinkFileAt(path: string): void {
      this.#dir();
      this.#mustWrite();
      const r = this.#resolveEntry(path);
      if (r.stat!.isDirectory()) throw 'is-directory' satisfies FsErrorCode;
      fsCall(() => unlinkSync(r.host));
    }
    isSameObject(other: Descriptor): boolean {
      if (other === this) return true;
      if (!(other instanceof Descriptor)) return false;
      try {
        const a = this.#bigStat();
        const b = other.#bigStat();
        return a.dev === b.dev && a.ino === b.ino;
      } catch {
        return false;
      }
    }
    metadataHash(): MetadataHashValue {
      const st = this.#bigStat();
      return { lower: st.ino, upper: st.dev };
    }
    metadataHashAt(pathFlags: PathFlags, path: string): MetadataHashValue {
      const r = this.#resolve(path, !!pathFlags.symlinkFollow);
      if (r.stat === undefined) throw 'no-entry' satisfies FsErrorCode;
      const st = fsCall(() => lstatSync(r.host, { bigint: true }));
      return { lower: st.ino, upper: st.dev };
    }
    /** Closes the host file (called by the glue when the guest drops the handle). */
    dispose(): void {
      leakGuard.unregister(this);
      tracker.release(this.#close);
      this.#close = undefined;
    }
  }
  (Descriptor.prototype as unknown as Record<symbol, () => void>)[symbolDispose] = Descriptor.prototype.dispose;
  (DirectoryEntryStream.prototype as unknown as Record<symbol, () => void>)[symbolDispose] = DirectoryEntryStream.prototype.dispose;

  const preopenFlags = (writable: boolean): DescriptorFlags => ({ read: true, mutateDirectory: writable });

  return {
    imports: {
      'wasi:filesystem/types': {
        Descriptor,
        DirectoryEntryStream,
        filesystemErrorCode(err: FilesystemTypes.Error): FsErrorCode | undefined {
          if (err instanceof io.IoError && err.fsCode) return err.fsCode;
          return undefined;
        },
      },
      'wasi:filesystem/preopens': {
        getDirectories(): [Descriptor, string][] {
          return dirs.map((d) => [new Descriptor(d.host, d.writable, [], preopenFlags(d.writable)), d.guest]);
        },
      },
    },
  };
}

/** Writes all of `bytes` at `pos`; returns the count. Failures become stream failures. */
function writeAll(fd: number, bytes: Uint8Array, pos: number): number {
  let done = 0;
  try {
    while (done < bytes.length) {
      const n = writeSync(fd, bytes, done, bytes.length - done, pos + done);
      if (n <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
      done += n;
    }
  } catch (e) {
    throw new StreamFailure((e as Error).message, fsErrorCode(e));
  }
  return done;
}

/** fsync on some file systems (or descriptors opened read-only) answers EINVAL/EPERM: not the guest's problem. */
function syncIgnoringUnsupported(sync: () => void): void {
  try {
    sync();
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 'EINVAL' || code === 'EPERM' || code === 'EBADF') return;
    throw fsErrorCode(e);
  }
}
