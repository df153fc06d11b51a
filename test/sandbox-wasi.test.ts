/**
 * The sandbox's per-instance WASI (host/src/sandbox/wasi): `createWasi` exercised directly, the
 * way jco's sync glue calls it, against real temp directories, files and symlinks: reads in a
 * granted dir, every escape (`..`, absolute paths, absolute symlinks, relative symlinks leaving
 * the tree) refused with `not-permitted`, symlinks inside the tree working, a read-only grant
 * refusing every change with `read-only`, a writable grant working; env/args exactly the grant,
 * exit → WasiExit, stdout/stderr captured, stdin empty, sockets denied, HTTP results surfaced as
 * the `error-code` variant or a streamed body; two instances independent; and a transpiled
 * component importing every interface of SANDBOX_WASI_INTERFACES links against it; and a real C
 * program (wasi-libc, jco's preview1 reactor adapter, transpiled with sync instantiation) doing
 * fopen/fread/fwrite/opendir/rename/unlink/mkdir/symlink/getenv/exit through it, end to end; and
 * a QuickJS component calling wasi:http through it (the HTTP shapes through real glue).
 */
import { test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';
import { setFlagsFromString } from 'node:v8';
import { componentize } from 'componentize-qjs';
import { renameImportNamespace } from '../tools/build/wasi-world.js';
import { KEYVALUE_VERSION, wasiPackageVersion } from '../host/src/sandbox/wasi/interfaces.js';
import { keyvalueWitBody } from '../host/src/wit-world.js';
import { componentEmbed, componentNew, preview1AdapterReactorPath, transpile } from '@bytecodealliance/jco';
import {
  createWasi,
  disposeWasi,
  SANDBOX_WASI_INTERFACES,
  WasiExit,
  type HttpRequestOut,
  type HttpResult,
  type WasiGrant,
  type WasiIo,
} from '../host/src/sandbox/wasi/index.js';

/** uvu stops silently on a thrown non-Error (the WASI error codes are strings): wrap them. */
function test(name: string, fn: () => unknown): void {
  uvuTest(name, async () => {
    try {
      await fn();
    } catch (e) {
      if (e instanceof Error) throw e;
      throw new Error(`threw ${JSON.stringify(e)}`);
    }
  });
}
test.before = uvuTest.before;
test.after = uvuTest.after;
test.run = uvuTest.run;

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

const base = realpathSync(mkdtempSync(join(tmpdir(), 'pocket-wit-sandbox-wasi-')));
const roDir = join(base, 'ro');
const rwDir = join(base, 'rw');
const SECRET = 'top secret outside the tree';

/** A C reactor exporting `run() -> s32`: the operation comes from its environment (OP, A, B). */
const PROBE_C = `#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <dirent.h>
#include <unistd.h>
#include <sys/stat.h>
#include <time.h>

static int fail(void) { int e = errno; printf("errno %d %s\\n", e, strerror(e)); fflush(stdout); return e ? e : -1; }

__attribute__((export_name("run"))) int run(void) {
  const char *op = getenv("OP"), *a = getenv("A"), *b = getenv("B");
  if (!op) return -2;
  if (!strcmp(op, "read")) {
    FILE *f = fopen(a, "r"); if (!f) return fail();
    char buf[256]; size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, n, stdout);
    fclose(f); fflush(stdout); return 0;
  }
  if (!strcmp(op, "write")) {
    FILE *f = fopen(a, "w"); if (!f) return fail();
    if (fputs(b, f) < 0) return fail();
    if (fclose(f)) return fail();
    return 0;
  }
  if (!strcmp(op, "append")) {
    FILE *f = fopen(a, "a"); if (!f) return fail();
    if (fputs(b, f) < 0) return fail();
    if (fclose(f)) return fail();
    return 0;
  }
  if (!strcmp(op, "list")) {
    DIR *d = opendir(a); if (!d) return fail();
    struct dirent *e;
    while ((e = readdir(d))) printf("%s\\n", e->d_name);
    closedir(d); fflush(stdout); return 0;
  }
  if (!strcmp(op, "stat")) { struct stat st; if (stat(a, &st)) return fail(); printf("%lld %s\\n", (long long)st.st_size, S_ISDIR(st.st_mode) ? "dir" : "file"); fflush(stdout); return 0; }
  if (!strcmp(op, "rename")) return rename(a, b) ? fail() : 0;
  if (!strcmp(op, "unlink")) return unlink(a) ? fail() : 0;
  if (!strcmp(op, "mkdir")) return mkdir(a, 0755) ? fail() : 0;
  if (!strcmp(op, "rmdir")) return rmdir(a) ? fail() : 0;
  if (!strcmp(op, "symlink")) return symlink(a, b) ? fail() : 0;
  if (!strcmp(op, "getenv")) { const char *v = getenv(a); printf("%s\\n", v ? v : "(unset)"); fflush(stdout); return 0; }
  if (!strcmp(op, "stderr")) { fprintf(stderr, "%s", a); fflush(stderr); return 0; }
  if (!strcmp(op, "exit")) exit(atoi(a));
  if (!strcmp(op, "time")) { unsigned char r[8]; if (getentropy(r, 8)) return fail(); printf("%ld\\n", (long)time(NULL)); fflush(stdout); return 0; }
  return -3;
}
`;
const CLANG = '/usr/bin/clang-14';

/** The compiled C probe (see PROBE_C). */
let probeWasm: string | undefined;

test.before(() => {
  // clang-14 comes from scripts/install-toolchains.sh (CI runs it): a missing compiler fails here, it is not skipped.
  if (!existsSync(CLANG)) throw new Error(`${CLANG} is missing: run sh scripts/install-toolchains.sh`);
  {
    const dir = mkdtempSync(join(base, 'probe-'));
    writeFileSync(join(dir, 'probe.c'), PROBE_C);
    const cc = spawnSync(CLANG, ['--target=wasm32-wasi', '--sysroot=/usr', '-mexec-model=reactor', '-O2', '-fuse-ld=/usr/bin/wasm-ld-14', '-o', join(dir, 'probe.wasm'), join(dir, 'probe.c')], {
      encoding: 'utf8',
      // clang runs any wasm-opt on PATH after linking; under npm, PATH finds binaryen's JS one (~10 s).
      env: { ...process.env, PATH: '/usr/bin:/bin' },
    });
    if (cc.status !== 0) throw new Error(`clang-14 failed on the probe: ${cc.stderr}`);
    probeWasm = join(dir, 'probe.wasm');
  }
  writeFileSync(join(base, 'secret.txt'), SECRET);
  mkdirSync(join(roDir, 'sub'), { recursive: true });
  mkdirSync(rwDir);
  writeFileSync(join(roDir, 'hello.txt'), 'hello, sandbox');
  writeFileSync(join(roDir, 'sub', 'inner.txt'), 'inner');
  symlinkSync('/etc/passwd', join(roDir, 'abs-link'));
  symlinkSync('/etc', join(roDir, 'etc-link'));
  symlinkSync('../secret.txt', join(roDir, 'out-link'));
  symlinkSync('sub/../../secret.txt', join(roDir, 'sneaky-link'));
  symlinkSync('..', join(roDir, 'sub', 'up-link'));
  symlinkSync('sub/inner.txt', join(roDir, 'in-link'));
  symlinkSync('sub', join(roDir, 'sub-link'));
  symlinkSync('../hello.txt', join(roDir, 'sub', 'up-in-link'));
  symlinkSync('loop-b', join(roDir, 'loop-a'));
  symlinkSync('loop-a', join(roDir, 'loop-b'));
});

test.after(() => {
  rmSync(base, { recursive: true, force: true });
});

interface Captured {
  io: WasiIo;
  stdout: Uint8Array[];
  stderr: Uint8Array[];
  requests: HttpRequestOut[];
}

function capture(answer: (req: HttpRequestOut) => HttpResult = () => ({ ok: false, code: 'HTTP-request-denied', message: 'not allowed' })): Captured {
  const c: Captured = {
    stdout: [],
    stderr: [],
    requests: [],
    io: {
      stdout: (b) => c.stdout.push(b),
      stderr: (b) => c.stderr.push(b),
      http: (req) => {
        c.requests.push(req);
        return answer(req);
      },
    },
  };
  return c;
}

const defaultGrant = (): WasiGrant => ({
  env: [['API_KEY', 'k-123'], ['MODE', 'test']],
  args: ['plugin-name'],
  dirs: [
    { guest: '/data', host: roDir, writable: false },
    { guest: '/out', host: rwDir, writable: true },
  ],
});

function setup(grant: WasiGrant = defaultGrant(), cap: Captured = capture()): { w: Record<string, Any>; ro: Any; rw: Any; cap: Captured } {
  const w = createWasi(grant, cap.io) as Record<string, Any>;
  const dirs: [Any, string][] = w['wasi:filesystem/preopens'].getDirectories();
  const ro = dirs.find(([, g]) => g === '/data')?.[0];
  const rw = dirs.find(([, g]) => g === '/out')?.[0];
  return { w, ro, rw, cap };
}

/** What the call threw (the glue's `err` payload), or 'no error'. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return 'no error';
}

const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const FOLLOW = { symlinkFollow: true };
const READ = { read: true };

/** Reads a file through open-at + read-via-stream, as the preview1 adapter does. */
function readText(dir: Any, path: string): string {
  const fd = dir.openAt(FOLLOW, path, {}, READ);
  const stream = fd.readViaStream(0n);
  let out = '';
  for (;;) {
    let chunk: Uint8Array;
    try {
      chunk = stream.blockingRead(4096n);
    } catch (e) {
      assert.equal(e, { tag: 'closed' });
      break;
    }
    out += dec(chunk);
  }
  fd.dispose();
  return out;
}

test('preopens are exactly the granted directories, with their flags', () => {
  const { w } = setup();
  const dirs: [Any, string][] = w['wasi:filesystem/preopens'].getDirectories();
  assert.equal(dirs.map(([, g]) => g), ['/data', '/out']);
  assert.equal(dirs[0]![0].getType(), 'directory');
  assert.equal(dirs[0]![0].getFlags(), { read: true, mutateDirectory: false });
  assert.equal(dirs[1]![0].getFlags(), { read: true, mutateDirectory: true });
  const none = createWasi({ env: [], args: [], dirs: [] }, capture().io) as Record<string, Any>;
  assert.equal(none['wasi:filesystem/preopens'].getDirectories(), []);
});

test('a grant through a symlinked host path is resolved; the host root is never preopened', () => {
  const link = join(base, 'ro-link');
  if (!existsSync(link)) symlinkSync(roDir, link);
  const { ro } = setup({ env: [], args: [], dirs: [{ guest: '/data', host: link, writable: false }] });
  assert.is(readText(ro, 'hello.txt'), 'hello, sandbox');
  assert.is(thrown(() => ro.openAt(FOLLOW, 'out-link', {}, READ)), 'not-permitted');
  assert.throws(() => createWasi({ env: [], args: [], dirs: [{ guest: '/', host: '/', writable: false }] }, capture().io), /root directory/);
  assert.throws(() => createWasi({ env: [], args: [], dirs: [{ guest: '/d', host: 'relative/dir', writable: false }] }, capture().io), /absolute/);
});

test('reading in a granted directory works (stream, positional read, stat, listing)', () => {
  const { ro } = setup();
  assert.is(readText(ro, 'hello.txt'), 'hello, sandbox');
  assert.is(readText(ro, './sub/inner.txt'), 'inner');
  assert.is(readText(ro, 'sub/../hello.txt'), 'hello, sandbox', '.. that stays inside the tree is fine');
  const fd = ro.openAt(FOLLOW, 'hello.txt', {}, READ);
  const [bytes, eof] = fd.read(5n, 7n);
  assert.is(dec(bytes), 'sandb');
  assert.is(eof, false);
  const [rest, eof2] = fd.read(100n, 7n);
  assert.is(dec(rest), 'sandbox');
  assert.is(eof2, true);
  const st = fd.stat();
  assert.is(st.type, 'regular-file');
  assert.is(st.size, 14n);
  assert.is(typeof st.dataModificationTimestamp.seconds, 'bigint');
  assert.is(fd.getType(), 'regular-file');
  fd.dispose();
  assert.is(ro.statAt(FOLLOW, 'sub').type, 'directory');
  assert.is(ro.statAt({}, 'in-link').type, 'symbolic-link');
  assert.is(ro.statAt(FOLLOW, 'in-link').type, 'regular-file');
  assert.is(ro.readlinkAt('in-link'), 'sub/inner.txt');
  const sub = ro.openAt(FOLLOW, 'sub', { directory: true }, READ);
  assert.is(readText(sub, 'inner.txt'), 'inner');
  const names: string[] = [];
  const entries = ro.readDirectory();
  for (let e = entries.readDirectoryEntry(); e; e = entries.readDirectoryEntry()) names.push(`${e.name}:${e.type}`);
  entries.dispose();
  assert.ok(names.includes('hello.txt:regular-file'));
  assert.ok(names.includes('sub:directory'));
  assert.ok(names.includes('abs-link:symbolic-link'));
  assert.is(thrown(() => ro.openAt(FOLLOW, 'missing.txt', {}, READ)), 'no-entry');
  assert.is(thrown(() => ro.openAt(FOLLOW, 'hello.txt', { directory: true }, READ)), 'not-directory');
  assert.is(thrown(() => ro.openAt(FOLLOW, 'loop-a', {}, READ)), 'loop');
  const a = ro.metadataHashAt(FOLLOW, 'hello.txt');
  const b = ro.metadataHashAt(FOLLOW, 'sub-link/../hello.txt');
  assert.equal(a, b);
});

test('`..` leaving the preopen is refused with not-permitted', () => {
  const { ro, rw } = setup();
  for (const path of ['../secret.txt', 'sub/../../secret.txt', '..', 'sub/../..', './../ro/hello.txt']) {
    assert.is(thrown(() => ro.openAt(FOLLOW, path, {}, READ)), 'not-permitted', path);
    assert.is(thrown(() => ro.statAt(FOLLOW, path)), 'not-permitted', path);
  }
  assert.is(thrown(() => rw.openAt(FOLLOW, '../secret.txt', { create: true }, { write: true })), 'not-permitted');
  assert.is(thrown(() => rw.createDirectoryAt('../escaped')), 'not-permitted');
  assert.not.ok(existsSync(join(base, 'escaped')));
  const sub = ro.openAt(FOLLOW, 'sub', { directory: true }, READ);
  assert.is(thrown(() => sub.openAt(FOLLOW, '../../secret.txt', {}, READ)), 'not-permitted', 'from a subdirectory too');
});

test('`..` above the directory descriptor a path is resolved from is refused, even inside the preopen (WASI: each descriptor is a boundary)', () => {
  const { ro } = setup();
  const sub = ro.openAt(FOLLOW, 'sub', { directory: true }, READ);
  for (const path of ['../hello.txt', '..', './../hello.txt', '../sub/inner.txt']) {
    assert.is(thrown(() => sub.openAt(FOLLOW, path, {}, READ)), 'not-permitted', path);
    assert.is(thrown(() => sub.statAt(FOLLOW, path)), 'not-permitted', path);
  }
  // rust/interesting_paths of wasi-testsuite: climbing above the descriptor and back down.
  assert.is(thrown(() => ro.openAt(FOLLOW, 'sub/../../ro/hello.txt', {}, READ)), 'not-permitted');
  // Down and back up to the descriptor itself is fine, from the root and from the subdirectory.
  assert.is(readText(ro, 'sub/../hello.txt'), 'hello, sandbox');
  assert.is(sub.statAt(FOLLOW, '.').type, 'directory');
  // A symlink followed from the subdirectory may not lead above it either.
  assert.is(thrown(() => sub.openAt(FOLLOW, 'up-in-link', {}, READ)), 'not-permitted');
  sub.dispose();
});

test('absolute paths and /etc/passwd are not reachable', () => {
  const { ro, rw } = setup();
  for (const dir of [ro, rw]) {
    assert.is(thrown(() => dir.openAt(FOLLOW, '/etc/passwd', {}, READ)), 'not-permitted');
    assert.is(thrown(() => dir.openAt(FOLLOW, '../../../../../../../etc/passwd', {}, READ)), 'not-permitted');
    assert.is(thrown(() => dir.statAt(FOLLOW, '/etc/passwd')), 'not-permitted');
    assert.is(thrown(() => dir.openAt(FOLLOW, '/', { directory: true }, READ)), 'not-permitted');
  }
});

test('symlinks with an absolute target are refused with not-permitted', () => {
  const { ro } = setup();
  assert.is(thrown(() => ro.openAt(FOLLOW, 'abs-link', {}, READ)), 'not-permitted');
  assert.is(thrown(() => ro.openAt(FOLLOW, 'etc-link/passwd', {}, READ)), 'not-permitted');
  assert.is(thrown(() => ro.openAt(FOLLOW, 'etc-link', { directory: true }, READ)), 'not-permitted');
  assert.is(thrown(() => ro.statAt(FOLLOW, 'abs-link')), 'not-permitted');
  assert.is(thrown(() => ro.readlinkAt('abs-link')), 'not-permitted', 'the host target is not revealed');
  // Not following the final link (lstat semantics) stays inside the tree and is allowed.
  assert.is(ro.statAt({}, 'abs-link').type, 'symbolic-link');
  assert.is(thrown(() => ro.openAt({}, 'abs-link', {}, READ)), 'loop', 'open without symlink-follow behaves like O_NOFOLLOW');
});

test('relative symlinks leaving the tree are refused with not-permitted', () => {
  const { ro } = setup();
  for (const path of ['out-link', 'sneaky-link', 'sub/up-link/../secret.txt', 'sub/up-link/..']) {
    assert.is(thrown(() => ro.openAt(FOLLOW, path, {}, READ)), 'not-permitted', path);
  }
});

test('symlinks that stay inside the tree work', () => {
  const { ro } = setup();
  assert.is(readText(ro, 'in-link'), 'inner');
  assert.is(readText(ro, 'sub-link/inner.txt'), 'inner');
  assert.is(readText(ro, 'sub/up-in-link'), 'hello, sandbox');
  assert.is(readText(ro, 'sub/up-link/hello.txt'), 'hello, sandbox');
  const viaLink = ro.openAt(FOLLOW, 'sub-link', { directory: true }, READ);
  assert.is(readText(viaLink, 'inner.txt'), 'inner', 'a directory reached through a link is the real one');
  assert.is(thrown(() => viaLink.openAt(FOLLOW, '../hello.txt', {}, READ)), 'not-permitted', 'and its descriptor is a boundary like any other');
});

test('symlink-at and link-at are refused with not-permitted', () => {
  const { ro, rw } = setup();
  assert.is(thrown(() => rw.symlinkAt('x', 'new-link')), 'not-permitted');
  assert.is(thrown(() => rw.symlinkAt('/etc/passwd', 'new-link')), 'not-permitted');
  assert.is(thrown(() => rw.linkAt({}, 'x', rw, 'y')), 'not-permitted');
  assert.is(thrown(() => ro.linkAt({}, 'hello.txt', rw, 'hello-copy')), 'not-permitted');
  assert.not.ok(existsSync(join(rwDir, 'new-link')));
  assert.not.ok(existsSync(join(rwDir, 'hello-copy')));
});

test('a read-only grant refuses every change with read-only, and still reads', () => {
  const { ro, rw } = setup();
  const before = readdirSync(roDir).sort();
  const ops: [string, () => unknown][] = [
    ['open create', () => ro.openAt(FOLLOW, 'new.txt', { create: true }, { write: true })],
    ['open create (read flag only)', () => ro.openAt(FOLLOW, 'new.txt', { create: true }, READ)],
    ['open truncate', () => ro.openAt(FOLLOW, 'hello.txt', { truncate: true }, READ)],
    ['open write', () => ro.openAt(FOLLOW, 'hello.txt', {}, { read: true, write: true })],
    ['create-directory-at', () => ro.createDirectoryAt('newdir')],
    ['remove-directory-at', () => ro.removeDirectoryAt('sub')],
    ['unlink-file-at', () => ro.unlinkFileAt('hello.txt')],
    ['rename-at', () => ro.renameAt('hello.txt', ro, 'renamed.txt')],
    ['rename-at into rw', () => ro.renameAt('hello.txt', rw, 'stolen.txt')],
    ['rename-at from rw into ro', () => rw.renameAt('whatever', ro, 'planted.txt')],
    ['set-times-at', () => ro.setTimesAt(FOLLOW, 'hello.txt', { tag: 'now' }, { tag: 'now' })],
    ['set-times on the dir', () => ro.setTimes({ tag: 'now' }, { tag: 'now' })],
  ];
  for (const [name, op] of ops) assert.is(thrown(op), 'read-only', name);
  const fd = ro.openAt(FOLLOW, 'hello.txt', {}, READ);
  assert.is(thrown(() => fd.write(enc('x'), 0n)), 'read-only', 'write');
  assert.is(thrown(() => fd.writeViaStream(0n)), 'read-only', 'write-via-stream');
  assert.is(thrown(() => fd.appendViaStream()), 'read-only', 'append-via-stream');
  assert.is(thrown(() => fd.setSize(0n)), 'read-only', 'set-size');
  assert.is(thrown(() => fd.setTimes({ tag: 'now' }, { tag: 'now' })), 'read-only', 'set-times');
  fd.dispose();
  assert.equal(readdirSync(roDir).sort(), before);
  assert.is(readFileSync(join(roDir, 'hello.txt'), 'utf8'), 'hello, sandbox');
  assert.not.ok(existsSync(join(rwDir, 'stolen.txt')));
  assert.is(readText(ro, 'hello.txt'), 'hello, sandbox');
});

test('a writable grant works: create, write, read back, append, rename, list, unlink, mkdir, rmdir', () => {
  const { rw } = setup();
  const fd = rw.openAt(FOLLOW, 'notes.txt', { create: true, truncate: true }, { read: true, write: true });
  const out = fd.writeViaStream(0n);
  assert.ok(out.checkWrite() > 0n);
  out.blockingWriteAndFlush(enc('first line\n'));
  out.dispose?.();
  const app = fd.appendViaStream();
  app.blockingWriteAndFlush(enc('second line\n'));
  assert.is(fd.write(enc('F'), 0n), 1n);
  fd.dispose();
  assert.is(readFileSync(join(rwDir, 'notes.txt'), 'utf8'), 'First line\nsecond line\n');
  assert.is(readText(rw, 'notes.txt'), 'First line\nsecond line\n');
  assert.is(thrown(() => rw.openAt(FOLLOW, 'notes.txt', { create: true, exclusive: true }, { write: true })), 'exist');

  const t = rw.openAt(FOLLOW, 'notes.txt', {}, { read: true, write: true });
  t.setSize(5n);
  t.setTimes({ tag: 'timestamp', val: { seconds: 1_000_000n, nanoseconds: 0 } }, { tag: 'no-change' });
  t.sync();
  t.syncData();
  t.dispose();
  assert.is(readFileSync(join(rwDir, 'notes.txt'), 'utf8'), 'First');

  rw.createDirectoryAt('d');
  assert.is(thrown(() => rw.createDirectoryAt('d')), 'exist');
  rw.renameAt('notes.txt', rw, 'd/moved.txt');
  assert.ok(existsSync(join(rwDir, 'd', 'moved.txt')));
  assert.not.ok(existsSync(join(rwDir, 'notes.txt')));
  const d = rw.openAt(FOLLOW, 'd', { directory: true }, READ);
  const entries = d.readDirectory();
  assert.equal(entries.readDirectoryEntry(), { type: 'regular-file', name: 'moved.txt' });
  assert.is(entries.readDirectoryEntry(), undefined);
  entries.dispose();
  assert.is(thrown(() => rw.removeDirectoryAt('d')), 'not-empty');
  assert.is(thrown(() => rw.unlinkFileAt('d')), 'is-directory');
  d.unlinkFileAt('moved.txt');
  rw.removeDirectoryAt('d');
  assert.equal(readdirSync(rwDir), []);
  assert.is(thrown(() => rw.removeDirectoryAt('.')), 'invalid');
  assert.is(thrown(() => rw.renameAt('.', rw, 'x')), 'invalid');
  assert.ok(statSync(rwDir).isDirectory(), 'the preopen root itself cannot be removed or moved');

  // A file opened read-only in a writable dir cannot be written: the stream error says why.
  writeFileSync(join(rwDir, 'r.txt'), 'r');
  const r = rw.openAt(FOLLOW, 'r.txt', {}, READ);
  const s = r.writeViaStream(0n);
  const err: Any = thrown(() => s.write(enc('x')));
  assert.is(err.tag, 'last-operation-failed');
  assert.is(setup().w['wasi:filesystem/types'].filesystemErrorCode(err.val), undefined, 'an error of another instance is not recognised');
  r.dispose();
  rmSync(join(rwDir, 'r.txt'));
});

test('stream errors map back through filesystem-error-code', () => {
  const { w, rw } = setup();
  writeFileSync(join(rwDir, 'r2.txt'), 'r');
  const r = rw.openAt(FOLLOW, 'r2.txt', {}, READ);
  const err: Any = thrown(() => r.writeViaStream(0n).write(enc('x')));
  assert.is(err.tag, 'last-operation-failed');
  assert.is(w['wasi:filesystem/types'].filesystemErrorCode(err.val), 'bad-descriptor');
  assert.type(err.val.toDebugString(), 'string');
  r.dispose();
  rmSync(join(rwDir, 'r2.txt'));
});

test('environment and arguments are exactly the grant; no initial cwd', () => {
  const { w } = setup();
  const env = w['wasi:cli/environment'];
  assert.equal(env.getEnvironment(), [['API_KEY', 'k-123'], ['MODE', 'test']]);
  assert.equal(env.getArguments(), ['plugin-name']);
  assert.is(env.initialCwd(), undefined);
  const bare = createWasi({ env: [], args: [], dirs: [] }, capture().io) as Record<string, Any>;
  assert.equal(bare['wasi:cli/environment'].getEnvironment(), []);
  assert.not.ok(bare['wasi:cli/environment'].getEnvironment().some(([k]: [string]) => k === 'PATH' || k === 'HOME'));
});

test('exit throws WasiExit (never process.exit)', () => {
  const { w } = setup();
  const e1 = thrown(() => w['wasi:cli/exit'].exit({ tag: 'err', val: undefined }));
  assert.instance(e1, WasiExit);
  assert.is((e1 as WasiExit).status, 1);
  const e0 = thrown(() => w['wasi:cli/exit'].exit({ tag: 'ok', val: undefined }));
  assert.is((e0 as WasiExit).status, 0);
  assert.is((thrown(() => w['wasi:cli/exit'].exitWithCode(3)) as WasiExit).status, 3);
});

test('stdout/stderr bytes reach io (copied); stdin is empty; no terminals', () => {
  const { w, cap } = setup();
  const out = w['wasi:cli/stdout'].getStdout();
  const buf = enc('hello stdout');
  out.blockingWriteAndFlush(buf);
  buf.fill(0);
  out.write(enc('!'));
  out.blockingFlush();
  assert.is(cap.stdout.map(dec).join(''), 'hello stdout!');
  w['wasi:cli/stderr'].getStderr().blockingWriteAndFlush(enc('oops'));
  assert.is(cap.stderr.map(dec).join(''), 'oops');
  assert.ok(out.checkWrite() >= 4096n);
  const stdin = w['wasi:cli/stdin'].getStdin();
  assert.equal(thrown(() => stdin.blockingRead(10n)), { tag: 'closed' });
  assert.equal(thrown(() => stdin.read(10n)), { tag: 'closed' });
  assert.ok(w['wasi:io/poll'].poll([stdin.subscribe()]).length === 1);
  assert.is(w['wasi:cli/terminal-stdout'].getTerminalStdout(), undefined);
});

test('clocks and random are real; sleeps wait', () => {
  const { w } = setup();
  const mono = w['wasi:clocks/monotonic-clock'];
  const t0: bigint = mono.now();
  const p = mono.subscribeDuration(20_000_000n);
  assert.is(p.ready(), false);
  p.block();
  assert.ok(mono.now() - t0 >= 19_000_000n);
  const wall = w['wasi:clocks/wall-clock'].now();
  assert.ok(Math.abs(Number(wall.seconds) - Date.now() / 1000) < 5);
  const a: Uint8Array = w['wasi:random/random'].getRandomBytes(32n);
  const b: Uint8Array = w['wasi:random/random'].getRandomBytes(32n);
  assert.is(a.length, 32);
  assert.not.equal(a, b);
  assert.is(typeof w['wasi:random/random'].getRandomU64(), 'bigint');
  assert.is(w['wasi:random/insecure-seed'].insecureSeed().length, 2);
});

test('sockets are denied with access-denied', () => {
  const { w } = setup();
  const net = w['wasi:sockets/instance-network'].instanceNetwork();
  assert.is(thrown(() => w['wasi:sockets/tcp-create-socket'].createTcpSocket('ipv4')), 'access-denied');
  assert.is(thrown(() => w['wasi:sockets/tcp-create-socket'].createTcpSocket('ipv6')), 'access-denied');
  assert.is(thrown(() => w['wasi:sockets/udp-create-socket'].createUdpSocket('ipv4')), 'access-denied');
  assert.is(thrown(() => w['wasi:sockets/ip-name-lookup'].resolveAddresses(net, 'example.com')), 'access-denied');
  const proto = w['wasi:sockets/tcp'].TcpSocket.prototype;
  assert.is(thrown(() => proto.startConnect.call(Object.create(proto), net, {})), 'access-denied');
});

/** Builds and sends a request the way a wasi:http client does; returns the future. */
function send(w: Record<string, Any>, opts: { method?: Any; body?: string; finishBeforeHandle?: boolean } = {}): { future: Any; finish?: () => void } {
  const http = w['wasi:http/types'];
  const headers = http.Fields.fromList([['Accept', enc('application/json')]]);
  headers.append('x-trace', enc('abc'));
  const req = new http.OutgoingRequest(headers);
  req.setScheme({ tag: 'HTTPS' });
  req.setAuthority('api.example.com');
  req.setPathWithQuery('/v1/items?limit=2');
  if (opts.method) req.setMethod(opts.method);
  if (opts.body === undefined) return { future: w['wasi:http/outgoing-handler'].handle(req, undefined) };
  const body = req.body();
  const stream = body.write();
  if (opts.finishBeforeHandle) {
    stream.blockingWriteAndFlush(enc(opts.body));
    http.OutgoingBody.finish(body, undefined);
    return { future: w['wasi:http/outgoing-handler'].handle(req, new http.RequestOptions()) };
  }
  const future = w['wasi:http/outgoing-handler'].handle(req, undefined);
  return {
    future,
    finish: () => {
      stream.blockingWriteAndFlush(enc(opts.body!));
      http.OutgoingBody.finish(body, undefined);
    },
  };
}

test('http: a denied request surfaces as the error-code variant', () => {
  const cap = capture();
  const { w } = setup(defaultGrant(), cap);
  const { future } = send(w);
  const pollable = future.subscribe();
  assert.equal(Array.from(w['wasi:io/poll'].poll([pollable])), [0]);
  assert.equal(future.get(), { tag: 'ok', val: { tag: 'err', val: { tag: 'HTTP-request-denied' } } });
  assert.equal(future.get(), { tag: 'err', val: undefined }, 'a second get reports it was taken');
  assert.is(cap.requests.length, 1);
  assert.equal(cap.requests[0], {
    method: 'GET',
    url: 'https://api.example.com/v1/items?limit=2',
    headers: [['accept', 'application/json'], ['x-trace', 'abc']],
  });
  // Error payloads take the shape their WIT case needs.
  const shapes: [HttpResult, unknown][] = [
    [{ ok: false, code: 'DNS-error', message: 'NXDOMAIN' }, { tag: 'DNS-error', val: { rcode: 'NXDOMAIN', infoCode: undefined } }],
    [{ ok: false, code: 'connection-refused', message: 'x' }, { tag: 'connection-refused' }],
    [{ ok: false, code: 'internal-error', message: 'boom' }, { tag: 'internal-error', val: 'boom' }],
    [{ ok: false, code: 'permission-denied', message: 'x' }, { tag: 'HTTP-request-denied' }],
    [{ ok: false, code: 'something-else', message: 'm' }, { tag: 'internal-error', val: 'something-else: m' }],
  ];
  for (const [answer, want] of shapes) {
    const { w: w2 } = setup(defaultGrant(), capture(() => answer));
    assert.equal(send(w2).future.get(), { tag: 'ok', val: { tag: 'err', val: want } });
  }
  const { w: w3 } = setup(defaultGrant(), capture(() => {
    throw new Error('main thread went away');
  }));
  assert.equal(send(w3).future.get(), { tag: 'ok', val: { tag: 'err', val: { tag: 'internal-error', val: 'main thread went away' } } });
});

test('http: an ok result streams its body; request bodies are collected', () => {
  const body = enc('{"items":[1,2]}');
  const cap = capture(() => ({ ok: true, status: 201, headers: [['Content-Type', 'application/json']], body }));
  const { w } = setup(defaultGrant(), cap);
  const { future, finish } = send(w, { method: { tag: 'post' }, body: 'payload' });
  assert.is(future.get(), undefined, 'not ready before the body is finished');
  assert.is(future.subscribe().ready(), false);
  finish!();
  const got = future.get();
  assert.is(got.tag, 'ok');
  assert.is(got.val.tag, 'ok');
  const res = got.val.val;
  assert.is(res.status(), 201);
  assert.equal(res.headers().entries().map(([k, v]: [string, Uint8Array]) => [k, dec(v)]), [['content-type', 'application/json']]);
  assert.equal(thrown(() => res.headers().set('x', [enc('y')])), { tag: 'immutable' });
  const inBody = res.consume();
  assert.ok(thrown(() => res.consume()) !== 'no error', 'consume works once');
  const stream = inBody.stream();
  let text = '';
  for (;;) {
    const e = thrown(() => {
      text += dec(stream.blockingRead(4n));
    });
    if (e !== 'no error') {
      assert.equal(e, { tag: 'closed' });
      break;
    }
  }
  assert.is(text, '{"items":[1,2]}');
  const trailers = w['wasi:http/types'].IncomingBody.finish(inBody);
  assert.equal(trailers.get(), { tag: 'ok', val: { tag: 'ok', val: undefined } });
  assert.is(cap.requests[0]!.method, 'POST');
  assert.is(dec(cap.requests[0]!.body!), 'payload');

  const { future: f2 } = send(w, { body: 'early', finishBeforeHandle: true });
  assert.is(f2.get().val.tag, 'ok');
  assert.is(dec(cap.requests[1]!.body!), 'early');
});

test('http: header and authority validation', () => {
  const { w } = setup();
  const http = w['wasi:http/types'];
  assert.equal(thrown(() => http.Fields.fromList([['bad header', enc('x')]])), { tag: 'invalid-syntax' });
  assert.equal(thrown(() => http.Fields.fromList([['Host', enc('evil.com')]])), { tag: 'forbidden' });
  assert.equal(thrown(() => http.Fields.fromList([['x', enc('a\r\nb: c')]])), { tag: 'invalid-syntax' });
  const req = new http.OutgoingRequest(new http.Fields());
  assert.ok(thrown(() => req.setAuthority('user@api.example.com')) !== 'no error');
  assert.ok(thrown(() => req.setAuthority('api.example.com/path')) !== 'no error');
  assert.ok(thrown(() => req.headers().append('x', enc('y'))) !== 'no error', 'request headers are immutable');
  const noAuthority = w['wasi:http/outgoing-handler'].handle(new http.OutgoingRequest(new http.Fields()), undefined);
  assert.equal(noAuthority.get(), { tag: 'ok', val: { tag: 'err', val: { tag: 'HTTP-request-URI-invalid' } } });
});

test('two instances share nothing', () => {
  const a = setup();
  const b = setup({ env: [['ONLY_B', '1']], args: [], dirs: [{ guest: '/out', host: rwDir, writable: false }] });
  assert.is.not(a.w['wasi:filesystem/types'].Descriptor, b.w['wasi:filesystem/types'].Descriptor);
  assert.is.not(a.w['wasi:io/streams'].OutputStream, b.w['wasi:io/streams'].OutputStream);
  assert.not.ok(a.rw instanceof b.w['wasi:filesystem/types'].Descriptor);
  assert.equal(b.w['wasi:cli/environment'].getEnvironment(), [['ONLY_B', '1']]);
  // The same host directory granted read-only to b stays read-only there, whatever a may do.
  assert.is(thrown(() => b.rw.createDirectoryAt('x')), 'read-only');
  assert.is(thrown(() => b.rw.renameAt('x', a.rw, 'y')), 'bad-descriptor', "another instance's descriptor is not accepted");
  a.w['wasi:cli/stdout'].getStdout().write(enc('only a'));
  assert.is(b.cap.stdout.length, 0);
});

test('disposeWasi closes the files an instance still holds', () => {
  const { w, ro } = setup();
  const countFds = (): number => readdirSync('/proc/self/fd').length;
  const before = countFds();
  const open = [1, 2, 3].map(() => ro.openAt(FOLLOW, 'hello.txt', {}, READ));
  assert.is(countFds(), before + 3);
  disposeWasi(w);
  assert.is(countFds(), before);
  assert.is(thrown(() => open[0].read(1n, 0n)), 'bad-descriptor');
});

test('a transpiled component importing every SANDBOX_WASI_INTERFACES interface links against createWasi', async () => {
  const witRoot = join(dirname(fileURLToPath(preview1AdapterReactorPath())), 'wit', 'builtin', '0.2.12');
  let text = `package test:sandbox;\nworld w {\n${SANDBOX_WASI_INTERFACES.map((i) => `  import ${i}@${wasiPackageVersion(i)};`).join('\n')}\n}\n`;
  for (const pkg of readdirSync(witRoot)) {
    const src = readFileSync(join(witRoot, pkg, 'package.wit'), 'utf8');
    const m = /^package ([^;]+);/.exec(src)!;
    text += `package ${m[1]} {\n${src.slice(m[0].length)}\n}\n`;
  }
  // wasi:keyvalue (plugin storage) comes from pocket-wit's own wit/deps, not jco's WASI.
  text += `package wasi:keyvalue@${KEYVALUE_VERSION} {\n${keyvalueWitBody()}\n}\n`;
  const core = await componentEmbed({ witSource: text, dummy: true, world: 'w' });
  const component = await componentNew(core, []);
  const { files, imports } = await transpile(component, { name: 'w', instantiation: { tag: 'sync' }, noTypescript: true } as Any);
  assert.equal([...imports].sort(), [...SANDBOX_WASI_INTERFACES].sort(), 'the list names exactly what such a world imports');
  const dir = mkdtempSync(join(base, 'glue-'));
  for (const [name, bytes] of Object.entries(files as Record<string, Uint8Array>)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), bytes);
  }
  const glue = (await import(pathToFileURL(join(dir, 'w.js')).href)) as { instantiate: (get: (p: string) => WebAssembly.Module, imports: Record<string, unknown>) => unknown };
  const wasi = createWasi(defaultGrant(), capture().io);
  glue.instantiate((p) => new WebAssembly.Module(readFileSync(join(dir, p))), wasi);
});


test('end to end: a C program through the preview1 adapter and jco sync glue', async () => {
  if (!probeWasm) throw new Error('the C probe was not built');
  const dir = dirname(probeWasm);
  const embedded = await componentEmbed({ binary: readFileSync(probeWasm), witSource: 'package test:probe;\nworld probe { export run: func() -> s32; }\n', world: 'probe' } as Any);
  const component = await componentNew(embedded, [['wasi_snapshot_preview1', readFileSync(fileURLToPath(preview1AdapterReactorPath()))]]);
  const { files } = await transpile(component, { name: 'probe', instantiation: { tag: 'sync' }, noTypescript: true } as Any);
  for (const [name, bytes] of Object.entries(files as Record<string, Uint8Array>)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), bytes);
  }
  const glue = (await import(pathToFileURL(join(dir, 'probe.js')).href)) as { instantiate: (get: (p: string) => WebAssembly.Module, imports: Record<string, unknown>) => { run(): number } };
  const modules = new Map<string, WebAssembly.Module>();
  const root = mkdtempSync(join(base, 'probe-dirs-'));
  mkdirSync(join(root, 'ro', 'sub'), { recursive: true });
  mkdirSync(join(root, 'rw'));
  writeFileSync(join(root, 'ro', 'hello.txt'), 'hello from ro');
  writeFileSync(join(root, 'secret.txt'), SECRET);
  symlinkSync('/etc/passwd', join(root, 'ro', 'abs'));
  symlinkSync('../secret.txt', join(root, 'ro', 'out'));
  symlinkSync('hello.txt', join(root, 'ro', 'in'));

  /** One fresh instance per operation; returns the C status (0, errno) or the WasiExit, and the output. */
  const run = (env: Record<string, string>): { rc: number | string; out: string; err: string } => {
    let out = '';
    let err = '';
    const wasi = createWasi(
      { env: Object.entries(env), args: ['probe'], dirs: [{ guest: '/data', host: join(root, 'ro'), writable: false }, { guest: '/out', host: join(root, 'rw'), writable: true }] },
      { stdout: (b) => (out += dec(b)), stderr: (b) => (err += dec(b)), http: () => ({ ok: false, code: 'HTTP-request-denied', message: 'no' }) },
    );
    const instance = glue.instantiate((p) => {
      let m = modules.get(p);
      if (!m) modules.set(p, (m = new WebAssembly.Module(readFileSync(join(dir, p)))));
      return m;
    }, wasi);
    try {
      return { rc: instance.run(), out, err };
    } catch (e) {
      if (e instanceof WasiExit) return { rc: `exit ${e.status}`, out, err };
      throw e;
    } finally {
      disposeWasi(wasi);
    }
  };
  // wasi-libc errno values: EPERM 63, EROFS 69, ENOTCAPABLE 76.
  const EPERM = 63;
  const EROFS = 69;
  const ENOTCAPABLE = 76;
  assert.equal(run({ OP: 'read', A: '/data/hello.txt' }), { rc: 0, out: 'hello from ro', err: '' });
  assert.is(run({ OP: 'read', A: '/data/in' }).out, 'hello from ro', 'a symlink inside the tree');
  for (const path of ['/data/abs', '/data/out', '/data/../secret.txt', '/data/sub/../../secret.txt']) {
    const r = run({ OP: 'read', A: path });
    assert.is(r.rc, EPERM, path);
    assert.not.ok(r.out.includes(SECRET) || r.out.includes('root:'), path);
  }
  assert.is(run({ OP: 'read', A: '/etc/passwd' }).rc, ENOTCAPABLE, 'no preopen covers /etc');
  assert.is(run({ OP: 'list', A: '/' }).rc, ENOTCAPABLE, 'no preopen is /');
  const roChanges: Record<string, string>[] = [
    { OP: 'write', A: '/data/new.txt', B: 'x' },
    { OP: 'write', A: '/data/hello.txt', B: 'x' },
    { OP: 'append', A: '/data/hello.txt', B: 'x' },
    { OP: 'mkdir', A: '/data/d' },
    { OP: 'unlink', A: '/data/hello.txt' },
    { OP: 'rename', A: '/data/hello.txt', B: '/out/stolen.txt' },
  ];
  for (const env of roChanges) assert.is(run(env).rc, EROFS, JSON.stringify(env));
  assert.is(readFileSync(join(root, 'ro', 'hello.txt'), 'utf8'), 'hello from ro');
  assert.equal(readdirSync(join(root, 'rw')), []);

  assert.is(run({ OP: 'write', A: '/out/a.txt', B: 'written!' }).rc, 0);
  assert.is(run({ OP: 'append', A: '/out/a.txt', B: '+more' }).rc, 0);
  assert.is(run({ OP: 'read', A: '/out/a.txt' }).out, 'written!+more');
  assert.is(run({ OP: 'stat', A: '/out/a.txt' }).out, '13 file\n');
  assert.is(run({ OP: 'rename', A: '/out/a.txt', B: '/out/b.txt' }).rc, 0);
  assert.is(run({ OP: 'mkdir', A: '/out/dd' }).rc, 0);
  assert.equal(run({ OP: 'list', A: '/out' }).out.split('\n').filter(Boolean).sort(), ['.', '..', 'b.txt', 'dd']);
  assert.is(readFileSync(join(root, 'rw', 'b.txt'), 'utf8'), 'written!+more');
  assert.is(run({ OP: 'symlink', A: '/etc/passwd', B: '/out/l' }).rc, EPERM);
  assert.is(run({ OP: 'symlink', A: 'b.txt', B: '/out/l' }).rc, EPERM);
  assert.is(run({ OP: 'unlink', A: '/out/b.txt' }).rc, 0);
  assert.is(run({ OP: 'rmdir', A: '/out/dd' }).rc, 0);
  assert.equal(readdirSync(join(root, 'rw')), []);

  assert.is(run({ OP: 'getenv', A: 'OP' }).out, 'getenv\n');
  assert.is(run({ OP: 'getenv', A: 'HOME' }).out, '(unset)\n');
  assert.is(run({ OP: 'getenv', A: 'PATH' }).out, '(unset)\n');
  assert.equal(run({ OP: 'stderr', A: 'to stderr' }), { rc: 0, out: '', err: 'to stderr' });
  // The preview1 adapter reports any non-zero exit as exit(err): the status is 1.
  assert.is(run({ OP: 'exit', A: '3' }).rc, 'exit 1');
  assert.is(run({ OP: 'exit', A: '0' }).rc, 'exit 0');
  const now = Number(run({ OP: 'time' }).out);
  assert.ok(Math.abs(now - Date.now() / 1000) < 5, 'wall clock and getentropy work');
});

/** A QuickJS component doing one request through wasi:http (imports named wasx: until the rename). */
const HTTP_JS = `
import http from 'wasx:http/types@0.2.12';
import handler from 'wasx:http/outgoing-handler@0.2.12';
const enc = (s) => { const b = new Uint8Array(s.length); for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i); return b; };
const dec = (b) => { let s = ''; for (const x of b) s += String.fromCharCode(x); return s; };
export function run(url, bodyText) {
  try {
    const m = /^(https?):\\/\\/([^/?#]+)(.*)$/.exec(url);
    const req = new http.OutgoingRequest(http.Fields.fromList([['x-test', enc('1')]]));
    req.setMethod(bodyText ? { tag: 'post' } : { tag: 'get' });
    req.setScheme({ tag: m[1] === 'https' ? 'HTTPS' : 'HTTP' });
    req.setAuthority(m[2]);
    req.setPathWithQuery(m[3] || '/');
    const body = req.body();
    if (bodyText) {
      const out = body.write();
      out.blockingWriteAndFlush(enc(bodyText));
      out[Symbol.dispose]();
    }
    http.OutgoingBody.finish(body, undefined);
    const future = handler.handle(req, undefined);
    const ready = future.subscribe();
    ready.block();
    ready[Symbol.dispose]();
    const got = future.get();
    if (got.val.tag === 'err') return JSON.stringify({ err: got.val.val });
    const res = got.val.val;
    const headers = res.headers().entries().map(([k, v]) => [k, dec(v)]);
    const stream = res.consume().stream();
    let text = '';
    for (;;) {
      try {
        text += dec(stream.blockingRead(3));
      } catch (e) {
        return JSON.stringify({ status: res.status(), headers, text, end: e.payload });
      }
    }
  } catch (e) {
    return JSON.stringify({ thrown: String(e), payload: e && e.payload });
  }
}
`;

test('end to end: a QuickJS component uses wasi:http through createWasi', async () => {
  if (Number(process.versions.node.split('.')[0]) < 22) setFlagsFromString('--experimental-wasm-extended-const');
  const dir = mkdtempSync(join(base, 'qjs-'));
  const witRoot = join(dirname(fileURLToPath(preview1AdapterReactorPath())), 'wit', 'builtin', '0.2.12');
  for (const pkg of readdirSync(witRoot)) {
    mkdirSync(join(dir, 'wit', 'deps', pkg), { recursive: true });
    writeFileSync(join(dir, 'wit', 'deps', pkg, 'package.wit'), readFileSync(join(witRoot, pkg, 'package.wit'), 'utf8').replace(/\bwasi:/g, 'wasx:'));
  }
  writeFileSync(
    join(dir, 'wit', 'world.wit'),
    'package test:http;\nworld h {\n  import wasx:http/outgoing-handler@0.2.12;\n  import wasx:http/types@0.2.12;\n  export run: func(url: string, body: string) -> string;\n}\n',
  );
  const built = await componentize({ witPath: join(dir, 'wit'), jsSource: HTTP_JS, world: 'h', stubWasi: true, sync: true, optSize: true });
  const component = renameImportNamespace(new Uint8Array(built.component));
  const { files, imports } = await transpile(component, { name: 'h', instantiation: { tag: 'sync' }, noTypescript: true } as Any);
  assert.ok(imports.includes('wasi:http/outgoing-handler'));
  for (const [name, bytes] of Object.entries(files as Record<string, Uint8Array>)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), bytes);
  }
  const glue = (await import(pathToFileURL(join(dir, 'h.js')).href)) as { instantiate: (get: (p: string) => WebAssembly.Module, imports: Record<string, unknown>) => { run(url: string, body: string): string } };
  const answers: Record<string, HttpResult> = {
    'https://ok.example.com/a?b=1': { ok: true, status: 200, headers: [['Content-Type', 'text/plain']], body: enc('hello body') },
    'https://denied.example.com/': { ok: false, code: 'HTTP-request-denied', message: 'not in the allow-list' },
    'http://dns.example.com/': { ok: false, code: 'DNS-error', message: 'NXDOMAIN' },
    'https://ok.example.com/post': { ok: true, status: 201, headers: [], body: new Uint8Array(0) },
  };
  const cap = capture((req) => answers[req.url] ?? { ok: false, code: 'internal-error', message: `unexpected ${req.url}` });
  const wasi = createWasi({ env: [], args: [], dirs: [] }, cap.io);
  const instance = glue.instantiate((p) => new WebAssembly.Module(readFileSync(join(dir, p))), wasi);
  const call = (url: string, body = ''): unknown => JSON.parse(instance.run(url, body));
  assert.equal(call('https://ok.example.com/a?b=1'), { status: 200, headers: [['content-type', 'text/plain']], text: 'hello body', end: { tag: 'closed' } });
  assert.equal(call('https://denied.example.com/'), { err: { tag: 'HTTP-request-denied' } });
  assert.equal(call('http://dns.example.com/'), { err: { tag: 'DNS-error', val: { rcode: 'NXDOMAIN', infoCode: null } } });
  assert.equal(call('https://ok.example.com/post', 'payload!'), { status: 201, headers: [], text: '', end: { tag: 'closed' } });
  assert.equal(
    cap.requests.map((r) => ({ ...r, body: r.body && dec(r.body) })),
    [
      { method: 'GET', url: 'https://ok.example.com/a?b=1', headers: [['x-test', '1']], body: undefined },
      { method: 'GET', url: 'https://denied.example.com/', headers: [['x-test', '1']], body: undefined },
      { method: 'GET', url: 'http://dns.example.com/', headers: [['x-test', '1']], body: undefined },
      { method: 'POST', url: 'https://ok.example.com/post', headers: [['x-test', '1']], body: 'payload!' },
    ],
  );
});

test.run();
