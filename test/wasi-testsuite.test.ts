/**
 * WASI conformance: the official WebAssembly/wasi-testsuite (test/fixtures/wasi-testsuite, with its
 * LICENSE and provenance) run against the sandbox's per-instance WASI, as upstream's runners run
 * it: each preview1 program made a command component with jco's preview1 command adapter,
 * transpiled as the host transpiles plugins (`instantiation: 'sync'`), linked to `createWasi`
 * (the WASI the command runner gives Go plugins) by `runCommandOnce`, its spec's fixture folder
 * copied to a temp dir and preopened writable as `/`, args and env from the spec, `wasi:cli/run`
 * called; the exit code and stdout are compared with the spec.
 *
 * Every program passes except those listed below, each asserted to still fail the way it is
 * listed as failing (so the lists stay true: a program that starts passing must leave them):
 * - KNOWN_UPSTREAM: programs that fail identically under preview2-shim (the adapter or Node, not
 *   our WASI);
 * - LINK_POLICY: programs that make symlinks or hard links, which the sandbox refuses by policy
 *   (docs/SECURITY.md, "Links").
 *
 * The componentized and transpiled programs are cached in the OS temp dir, keyed by a hash of the
 * program, the adapter and jco's version, so reruns skip wasm-tools.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { componentNew, preview1AdapterCommandPath, transpile } from '@bytecodealliance/jco';
import type { GlueModule } from '../host/src/sandbox/instantiate.js';
import { runCommandOnce, type CommandOutcome } from '../host/src/sandbox/run-command.js';
import { ROOT } from './helpers.js';

const SUITE_DIR = join(ROOT, 'test/fixtures/wasi-testsuite');
const SUITES = ['c', 'rust', 'assemblyscript'] as const;
type Suite = (typeof SUITES)[number];

interface Spec {
  args?: string[];
  env?: Record<string, string>;
  root?: string;
  exit_code?: number;
  stdout?: string;
}

interface Result extends CommandOutcome {
  out: string;
  err: string;
}

interface Listed {
  /** Why it fails. */
  reason: string;
  /** How it fails, checked on every run (a description for the message, and the check). */
  failsWith: string;
  fails(r: Result): boolean;
}

const trapped = (r: Result, stderr: RegExp): boolean => r.exitCode === undefined && stderr.test(r.err);

/**
 * Failing identically under preview2-shim (checked by running both; see docs/SECURITY.md, "WASI
 * conformance"): the preview1 adapter or Node, not the sandbox's WASI.
 */
const KNOWN_UPSTREAM: Record<string, Listed> = {
  'assemblyscript/proc_exit-failure': {
    reason: "the preview1 adapter maps proc_exit(33) to wasi:cli/exit's `err`, i.e. exit code 1 (exit-with-code is unstable, the adapter does not use it)",
    failsWith: 'exit code 1 instead of 33',
    fails: (r) => r.exitCode === 1,
  },
  'assemblyscript/fd_write-to-invalid-fd': {
    reason: 'through the adapter, fd_write on an fd never opened does not answer the errno the program checks for (it aborts), the same under preview2-shim',
    failsWith: 'exit code 1 after an AssemblyScript abort',
    fails: (r) => r.exitCode === 1 && /abort/.test(r.err),
  },
  'assemblyscript/args_get-multiple-arguments': {
    reason: "the preview1 adapter traps on an internal assertion in args_get for this program's buffers (args_sizes_get with the same args passes)",
    failsWith: 'a trap after "assertion failed at adapter line N"',
    fails: (r) => trapped(r, /assertion failed at adapter line \d+/),
  },
  'assemblyscript/environ_get-multiple-variables': {
    reason: 'the preview1 adapter traps on the same internal assertion in environ_get (environ_sizes_get passes)',
    failsWith: 'a trap after "assertion failed at adapter line N"',
    fails: (r) => trapped(r, /assertion failed at adapter line \d+/),
  },
  'rust/fd_filestat_set': {
    reason: "Node's futimes/utimes take seconds as a double: a timestamp set with nanoseconds reads back rounded to microseconds",
    failsWith: 'a panic "mtim should change" (nanoseconds lost)',
    fails: (r) => trapped(r, /mtim should change/),
  },
  'rust/path_filestat': {
    reason: "Node's lutimes takes seconds as a double: a timestamp set with nanoseconds reads back rounded to microseconds",
    failsWith: 'a panic "mtim should change" (nanoseconds lost)',
    fails: (r) => trapped(r, /mtim should change/),
  },
};

/** What `symlink-at` and `link-at` answer, as the Rust programs print it (errno PERM). */
const refusedLink = (r: Result): boolean => trapped(r, /\bPERM\b/);
const linkPolicy = (what: string): Listed => ({
  reason: `makes ${what}; symlink-at and link-at are refused by policy (docs/SECURITY.md, "Links")`,
  failsWith: 'a panic on errno PERM (not-permitted) from symlink-at/link-at',
  fails: refusedLink,
});

/** Programs that make links: refused with not-permitted by policy. */
const LINK_POLICY: Record<string, Listed> = {
  'rust/nofollow_errors': linkPolicy('symlinks to test O_NOFOLLOW'),
  'rust/readlink': linkPolicy('a symlink to read back'),
  'rust/symlink_create': linkPolicy('symlinks'),
  'rust/path_exists': linkPolicy('a symlink to test path existence through it'),
  'rust/path_link': linkPolicy('hard links'),
  'rust/path_symlink_trailing_slashes': linkPolicy('symlinks with trailing slashes'),
  'rust/symlink_filestat': linkPolicy('a symlink to stat and set times on'),
};

const adapter = readFileSync(fileURLToPath(preview1AdapterCommandPath()));
const jcoVersion = (JSON.parse(readFileSync(join(ROOT, 'node_modules/@bytecodealliance/jco/package.json'), 'utf8')) as { version: string }).version;
const CACHE = join(tmpdir(), 'pocket-wit-wasi-testsuite-cache');

/** The program made a command component and transpiled, from the cache when there. Returns its folder. */
async function transpiled(core: Uint8Array): Promise<string> {
  const key = createHash('sha256').update(core).update(adapter).update(jcoVersion).digest('hex').slice(0, 32);
  const dir = join(CACHE, key);
  if (existsSync(join(dir, 'done'))) return dir;
  const component = await componentNew(core, [['wasi_snapshot_preview1', adapter]]);
  // As the host's transpile worker does (transpile-worker.ts).
  const { files } = await transpile(component, { name: 'plugin', instantiation: 'sync', noTypescript: true, quiet: true } as unknown as Parameters<typeof transpile>[1]);
  const tmp = `${dir}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  for (const [name, data] of Object.entries(files)) {
    if (name.endsWith('.d.ts')) continue;
    mkdirSync(dirname(join(tmp, name)), { recursive: true });
    writeFileSync(join(tmp, name), data as Uint8Array);
  }
  writeFileSync(join(tmp, 'package.json'), '{"type":"module"}\n');
  writeFileSync(join(tmp, 'done'), '');
  rmSync(dir, { recursive: true, force: true });
  try {
    renameSync(tmp, dir);
  } catch {
    // another run got there first
    rmSync(tmp, { recursive: true, force: true });
  }
  return dir;
}

function makeWritable(path: string): void {
  chmodSync(path, statSync(path).isDirectory() ? 0o755 : 0o644);
  if (statSync(path).isDirectory()) for (const entry of readdirSync(path)) makeWritable(join(path, entry));
}

/** Runs one program of the suite as upstream's runners do. */
async function runProgram(suite: Suite, name: string): Promise<{ result: Result; spec: Spec }> {
  const core = readFileSync(join(SUITE_DIR, suite, `${name}.wasm`));
  const specPath = join(SUITE_DIR, suite, `${name}.json`);
  const spec = (existsSync(specPath) ? JSON.parse(readFileSync(specPath, 'utf8')) : {}) as Spec;
  const dir = await transpiled(core);
  const glue = (await import(pathToFileURL(join(dir, 'plugin.js')).href)) as GlueModule;
  const modules: Record<string, WebAssembly.Module> = {};
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.wasm'))) modules[file] = new WebAssembly.Module(readFileSync(join(dir, file)));
  let work: string | undefined;
  try {
    const dirs = [];
    if (spec.root !== undefined) {
      work = mkdtempSync(join(tmpdir(), 'pocket-wit-wasi-testsuite-'));
      cpSync(join(SUITE_DIR, suite, spec.root), work, { recursive: true });
      makeWritable(work);
      dirs.push({ guest: '/', host: work, writable: true });
    }
    const outcome = runCommandOnce(glue, modules, { env: Object.entries(spec.env ?? {}), dirs, args: [name, ...(spec.args ?? [])] }, name);
    const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
    return { result: { ...outcome, out: text(outcome.stdout), err: text(outcome.stderr) }, spec };
  } finally {
    if (work) rmSync(work, { recursive: true, force: true });
  }
}

const passed = (r: Result, spec: Spec): boolean => r.exitCode === (spec.exit_code ?? 0) && (spec.stdout === undefined || r.out === spec.stdout);

const describe = (r: Result): string =>
  `${r.exitCode === undefined ? `trapped (${r.trap})` : `exit code ${r.exitCode}`}; stdout ${JSON.stringify(r.out.slice(0, 300))}; stderr ${JSON.stringify(r.err.slice(-600))}`;

const programs: Record<Suite, string[]> = Object.fromEntries(
  SUITES.map((suite) => [
    suite,
    readdirSync(join(SUITE_DIR, suite))
      .filter((f) => f.endsWith('.wasm'))
      .map((f) => f.slice(0, -'.wasm'.length))
      .sort(),
  ]),
) as Record<Suite, string[]>;

const counts = new Map<Suite, { pass: number; upstream: number; policy: number; total: number }>();
const started = Date.now();

test('the vendored suite is whole: 72 programs, specs parse, the lists name real programs', () => {
  assert.ok(existsSync(join(SUITE_DIR, 'LICENSE')));
  assert.ok(existsSync(join(SUITE_DIR, 'README.md')));
  assert.is(programs.c.length + programs.rust.length + programs.assemblyscript.length, 72);
  for (const id of [...Object.keys(KNOWN_UPSTREAM), ...Object.keys(LINK_POLICY)]) {
    const [suite, name] = id.split('/') as [Suite, string];
    assert.ok(programs[suite]?.includes(name), `${id} is listed but not in the suite`);
  }
});

for (const suite of SUITES) {
  for (const name of programs[suite]) {
    const id = `${suite}/${name}`;
    test(id, async () => {
      const { result, spec } = await runProgram(suite, name);
      const c = counts.get(suite) ?? { pass: 0, upstream: 0, policy: 0, total: 0 };
      counts.set(suite, c);
      c.total++;
      const listed = KNOWN_UPSTREAM[id] ?? LINK_POLICY[id];
      const ok = passed(result, spec);
      if (ok) c.pass++;
      if (!listed) {
        assert.ok(ok, `${id} must pass (exit code ${spec.exit_code ?? 0}${spec.stdout !== undefined ? `, stdout ${JSON.stringify(spec.stdout)}` : ''}), got: ${describe(result)}`);
        return;
      }
      const which = id in KNOWN_UPSTREAM ? 'KNOWN_UPSTREAM' : 'LINK_POLICY';
      assert.not.ok(ok, `${id} passes now: remove it from ${which} (and from docs/SECURITY.md)`);
      assert.ok(listed.fails(result), `${id} is listed in ${which} as failing with ${listed.failsWith} (${listed.reason}), but got: ${describe(result)}`);
      if (which === 'KNOWN_UPSTREAM') c.upstream++;
      else c.policy++;
    });
  }
}

test('per-suite pass counts', () => {
  const lines = SUITES.map((suite) => {
    const c = counts.get(suite)!;
    return `  ${suite}: ${c.pass}/${c.total} pass${c.upstream ? `, ${c.upstream} known upstream/adapter` : ''}${c.policy ? `, ${c.policy} link policy` : ''}`;
  });
  const pass = [...counts.values()].reduce((n, c) => n + c.pass, 0);
  console.log(`\nwasi-testsuite against the sandbox's WASI: ${pass}/72 pass (${((Date.now() - started) / 1000).toFixed(1)}s)\n${lines.join('\n')}`);
  for (const suite of SUITES) assert.is(counts.get(suite)?.total, programs[suite].length, `every ${suite} program ran`);
  assert.is(pass, 72 - Object.keys(KNOWN_UPSTREAM).length - Object.keys(LINK_POLICY).length);
});

test.run();
