/// <reference path="./wasi.d.ts" />
/**
 * `ctx.fs`, backed by `wasi:filesystem/preopens` and `wasi:filesystem/types` (built in only when
 * `permissions.filesystem` is declared). A manifest entry `./data` is the guest directory
 * `/data`, `./out:rw` is `/out`; a path is resolved against the preopened directory whose guest
 * path prefixes it, and the rest is opened with `open-at`. The host enforces the rest:
 * read-only directories refuse writes, escapes (`..`, symlinks out of the tree) are refused.
 */
import preopens from 'wasi:filesystem/preopens';
import type { Descriptor } from 'wasi:filesystem/types';
import { NodeError, type NodeFiles } from '../index.js';
import { dispose, rethrow } from './errors.js';

const CHUNK = 64 * 1024;

/** `/data/./a//b.txt`, `data/a/b.txt` and `./data/a/b.txt` all become `['data', 'a', 'b.txt']`. */
function segments(path: string): string[] {
  return path.split('/').filter((s) => s !== '' && s !== '.');
}

function startsWith(path: string[], prefix: string[]): boolean {
  return prefix.length <= path.length && prefix.every((s, i) => path[i] === s);
}

/** The guest directory of a manifest entry: `./data` → `['data']`, `./out:rw` → `['out']`. */
export function guestDir(entry: string): string[] {
  return segments(entry.replace(/:(rw|ro)$/, ''));
}

export function createFiles(declared: readonly string[]): NodeFiles {
  const roots = declared.map((entry) => ({ entry, dir: guestDir(entry) }));
  let opened: { dir: string[]; fd: Descriptor }[] | undefined;

  /** The preopened directory for `path` and the path inside it. */
  function locate(op: string, path: string): { fd: Descriptor; rest: string } {
    if (typeof path !== 'string' || path === '') throw new NodeError('plugin-error', `ctx.fs.${op}: give a path, for example "/${roots[0]?.dir.join('/') ?? 'data'}/file.txt"`);
    const parts = segments(path);
    if (!roots.some((r) => startsWith(parts, r.dir))) {
      throw new NodeError(
        'permission-denied',
        `ctx.fs.${op}("${path}"): ${path} is outside the plugin's filesystem permissions (${declared.join(', ')} are ${roots.map((r) => `/${r.dir.join('/')}`).join(', ')} to the plugin)`,
      );
    }
    if (!opened) {
      try {
        opened = preopens.getDirectories().map(([fd, guest]) => ({ dir: segments(guest), fd }));
      } catch (thrown) {
        return rethrow(thrown, `ctx.fs.${op}("${path}")`);
      }
      opened.sort((a, b) => b.dir.length - a.dir.length); // longest prefix first
    }
    const pre = opened.find((o) => startsWith(parts, o.dir));
    if (!pre) throw new NodeError('permission-denied', `ctx.fs.${op}("${path}"): the host grants no directory containing ${path}`);
    return { fd: pre.fd, rest: parts.slice(pre.dir.length).join('/') };
  }

  return {
    readText(path: string): string {
      const { fd: dir, rest } = locate('readText', path);
      let fd: Descriptor | undefined;
      try {
        fd = dir.openAt({ symlinkFollow: true }, rest || '.', {}, { read: true });
        const chunks: Uint8Array[] = [];
        let size = 0;
        for (;;) {
          const [bytes, eof] = fd.read(CHUNK, size);
          if (bytes.length > 0) chunks.push(bytes);
          size += bytes.length;
          if (eof || bytes.length === 0) break;
        }
        const all = new Uint8Array(size);
        let at = 0;
        for (const c of chunks) {
          all.set(c, at);
          at += c.length;
        }
        return new TextDecoder().decode(all);
      } catch (thrown) {
        return rethrow(thrown, `ctx.fs.readText("${path}")`);
      } finally {
        dispose(fd);
      }
    },
    writeText(path: string, text: string): void {
      const { fd: dir, rest } = locate('writeText', path);
      if (!rest) throw new NodeError('plugin-error', `ctx.fs.writeText("${path}"): ${path} is a directory; give a file path inside it`);
      let fd: Descriptor | undefined;
      try {
        fd = dir.openAt({ symlinkFollow: true }, rest, { create: true, truncate: true }, { write: true });
        const bytes = new TextEncoder().encode(String(text));
        let at = 0;
        while (at < bytes.length) {
          const n = fd.write(bytes.subarray(at, Math.min(at + CHUNK, bytes.length)), at);
          if (n <= 0) throw new NodeError('plugin-error', `ctx.fs.writeText("${path}"): the host wrote nothing`);
          at += n;
        }
      } catch (thrown) {
        rethrow(thrown, `ctx.fs.writeText("${path}")`);
      } finally {
        dispose(fd);
      }
    },
    list(path: string): string[] {
      const { fd: dir, rest } = locate('list', path);
      let fd: Descriptor | undefined;
      let entries: ReturnType<Descriptor['readDirectory']> | undefined;
      try {
        fd = dir.openAt({ symlinkFollow: true }, rest || '.', { directory: true }, { read: true });
        entries = fd.readDirectory();
        const names: string[] = [];
        for (let e = entries.readDirectoryEntry(); e; e = entries.readDirectoryEntry()) names.push(e.name);
        return names.sort();
      } catch (thrown) {
        return rethrow(thrown, `ctx.fs.list("${path}")`);
      } finally {
        dispose(entries);
        dispose(fd);
      }
    },
  };
}
