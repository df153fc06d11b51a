/**
 * Plugins that `pocket-wit build` never touched (issue #20): each recipe of docs/INTEROP.md is
 * built with its own `build.sh` and upstream toolchains only (componentize-js, componentize-qjs,
 * clang-14 + jco embed/new, rustc + jco embed/new), the result is checked to carry no
 * `pocket-wit:plugin` section, and every command is driven on it through the real CLI: check,
 * info, validate, test, run (by file and by installed name), install (with the consent text
 * showing what its metadata asks for), list, info by name, and flow with the installed plugins.
 * The host API: `loadPlugin` gets the permissions its metadata asks for, learned once per sha256.
 *
 * A missing toolchain fails the test with what to install (CI installs them with
 * scripts/install-toolchains.sh): nothing here is skipped.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPluginSection } from '../host/src/plugin-section.js';
import { learnedMetadata } from '../host/src/learned-metadata.js';
import { loadPlugin, silentLogSink } from '../host/src/index.js';
import { ROOT, runCli, tempDir, type CliResult } from './helpers.js';

const DOC = readFileSync(join(ROOT, 'docs/INTEROP.md'), 'utf8');
/** `<!-- <kind>: <path> -->` followed by a fenced block, in docs/INTEROP.md: path → the block's text. */
function docBlocks(kind: string): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const m of DOC.matchAll(new RegExp(`<!-- ${kind}: (\\S+) -->\\n\`\`\`\\w+\\n([\\s\\S]*?)^\`\`\`$`, 'gm'))) blocks.set(m[1]!, m[2]!);
  return blocks;
}
/**
 * What a command printed, as the page shows it: without the lines that differ per machine and
 * build folder (sha256, the file's paths).
 */
const comparable = (text: string): string =>
  text
    .split('\n')
    .filter((l) => !/^ {2}(sha256|file|from): /.test(l))
    // The size's figure moves with the toolchain's version; its unit is kept.
    .map((l) => l.replace(/ size: [\d.]+ (B|KB|MB)$/, ' size: … $1'))
    .join('\n');
const INTEROP = join(ROOT, 'examples/interop');
const OUT = tempDir('pocket-interop-out-');
/** POCKET_HOME: where `install` puts plugins by default, and where `flow` finds them. */
const HOME = tempDir('pocket-interop-home-');
/** A second plugin directory, given with `--dir`. */
const DIR = tempDir('pocket-interop-dir-');
const WORK = tempDir('pocket-interop-work-');
/** Values for the environment variables the plugins ask for: granted, they change the output. */
const ENV = { POCKET_HOME: HOME, POCKET_PLUGIN_PATH: '', GREETING: 'Howdy', SLUG_SEPARATOR: '+' };
const cli = (args: string[], env: Record<string, string> = {}): Promise<CliResult> => runCli(args, { cwd: WORK, env: { ...ENV, ...env } });

interface Toolchain {
  what: string;
  /** Files that must exist. */
  files: string[];
  install: string;
}

const JS_TOOLS: Toolchain = {
  what: 'the JS recipes (componentize-js, componentize-qjs) and jco',
  files: ['componentize-js', 'componentize-qjs', 'jco'].map((b) => join(ROOT, 'node_modules/.bin', b)),
  install: '`npm install` in the repository',
};
const C_TOOLS: Toolchain = {
  what: 'the C recipe (clang-14, wasm-ld-14, wasi-libc)',
  files: ['/usr/bin/clang-14', '/usr/bin/wasm-ld-14', '/usr/include/wasm32-wasi/stdlib.h', '/usr/lib/wasm32-wasi/libc.a'],
  install: '`sudo sh scripts/install-toolchains.sh` (or `sudo apt-get install clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32`)',
};
const RUST_TOOLS: Toolchain = {
  what: "the Rust recipe (Debian's rustc with the wasm32 std)",
  files: ['/usr/bin/rustc', '/usr/lib/rustlib/wasm32-unknown-unknown/lib'],
  install: '`sudo sh scripts/install-toolchains.sh` (or `sudo apt-get install rustc libstd-rust-dev-wasm32`)',
};

interface Recipe {
  /** The folder in examples/interop and the script in it. */
  folder: string;
  script: string;
  /** The component the script writes. */
  file: string;
  toolchains: Toolchain[];
  /** What its metadata declares. */
  name: string;
  node: string;
  env?: string;
  examples: number;
  /** A run: its input and config, and the output with and without the env variable granted. */
  input: unknown;
  output: unknown;
  outputWithEnv: unknown;
  next: string;
}

const RECIPES: Recipe[] = [
  {
    folder: 'js-greeter',
    script: 'build.sh',
    file: 'interop-greeter.wasm',
    toolchains: [JS_TOOLS],
    name: 'interop-greeter',
    node: 'greet',
    env: 'GREETING',
    examples: 1,
    input: { name: 'Ada' },
    output: { message: 'Hello, Ada!', length: 11 },
    outputWithEnv: { message: 'Howdy, Ada!', length: 11 },
    next: 'default',
  },
  {
    folder: 'js-greeter',
    script: 'build-qjs.sh',
    file: 'interop-greeter-qjs.wasm',
    toolchains: [JS_TOOLS],
    name: 'interop-greeter',
    node: 'greet',
    env: 'GREETING',
    examples: 1,
    input: { name: 'Bartholomew the Great' },
    output: { message: 'Hello, Bartholomew the Great!', length: 29 },
    outputWithEnv: { message: 'Howdy, Bartholomew the Great!', length: 29 },
    next: 'long',
  },
  {
    folder: 'c-slugify',
    script: 'build.sh',
    file: 'interop-slugify.wasm',
    toolchains: [C_TOOLS, JS_TOOLS],
    name: 'interop-slugify',
    node: 'slugify',
    env: 'SLUG_SEPARATOR',
    examples: 2,
    input: { text: 'Hello, "World" 42!' },
    output: { slug: 'hello-world-42', words: 3 },
    outputWithEnv: { slug: 'hello+world+42', words: 3 },
    next: 'default',
  },
  {
    folder: 'rust-reverse',
    script: 'build.sh',
    file: 'interop-reverse.wasm',
    toolchains: [RUST_TOOLS, JS_TOOLS],
    name: 'interop-reverse',
    node: 'reverse',
    examples: 1,
    input: { text: 'level' },
    output: { reversed: 'level', palindrome: true },
    outputWithEnv: { reversed: 'level', palindrome: true },
    next: 'palindrome',
  },
];

const label = (r: Recipe): string => `${r.folder}/${r.script}`;

/** INTEROP_TIMING=1 prints each test's duration. */
function timed(name: string, fn: () => Promise<void> | void): void {
  test(name, async () => {
    const start = Date.now();
    await fn();
    if (process.env.INTEROP_TIMING) process.stderr.write(`  ${((Date.now() - start) / 1000).toFixed(1)} s  ${name}\n`);
  });
}

function requireToolchain(t: Toolchain): void {
  const missing = t.files.filter((f) => !existsSync(f));
  if (missing.length > 0) assert.unreachable(`${t.what} is not installed (missing ${missing.join(', ')}); install it with ${t.install}`);
}

/** Run a recipe's build script as the docs show it: `sh examples/interop/<folder>/<script> OUT`. */
function runScript(r: Recipe): Promise<string> {
  for (const t of r.toolchains) requireToolchain(t);
  // clang runs any wasm-opt on PATH after linking; binaryen's JS build in node_modules/.bin takes
  // ~10 s, so node_modules stays off PATH (as outside `npm run`).
  const path = (process.env.PATH ?? '').split(':').filter((p) => p && !p.includes('node_modules'));
  const out = join(OUT, r.script.replace(/\.sh$/, ''));
  return new Promise((resolve, reject) => {
    const child = spawn('sh', [join('examples/interop', r.folder, r.script), out], { cwd: ROOT, env: { ...process.env, PATH: ['/usr/bin', ...path].join(':') }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`${label(r)} failed (exit ${code}):\n${output}`));
      else resolve(join(out, r.file));
    });
  });
}

/** The built components, memoized. */
const builds = new Map<Recipe, Promise<string>>();
const built = (r: Recipe): Promise<string> => {
  let p = builds.get(r);
  if (!p) builds.set(r, (p = runScript(r)));
  return p;
};
/**
 * The componentize-js build takes 20–60 s: it starts first and runs while the other recipes go
 * through every command; then it goes through the same commands (`perRecipe`), and the tests that
 * need every plugin installed (list, info and run by name, flow) come last.
 */
const SLOW = RECIPES[0]!;
const FAST = RECIPES.slice(1);
const IN_HOME = new Set([RECIPES[0], RECIPES[2], RECIPES[3]]);
/** Where a recipe is installed: POCKET_HOME's plugins (the workflow uses those), or --dir DIR (the QuickJS greeter: same name). */
const dirArgs = (r: Recipe): string[] => (IN_HOME.has(r) ? [] : ['--dir', DIR]);

/** Run `fn` on every recipe, two at a time (the CLI runs are independent; the machine may have two cores). */
async function each(recipes: Recipe[], fn: (r: Recipe, file: string) => Promise<void>): Promise<void> {
  const queue = [...recipes];
  const worker = async (): Promise<void> => {
    for (let r = queue.shift(); r; r = queue.shift()) await fn(r, await built(r));
  };
  await Promise.all([worker(), worker()]);
}

function ok(r: CliResult, what: string): CliResult {
  assert.is(r.code, 0, `${what} exited ${r.code}:\n${r.stderr}\n${r.stdout}`);
  return r;
}

/** What every recipe goes through, one command at a time, before it is installed. */
const perRecipe: [string, (r: Recipe, file: string) => Promise<void>][] = [
  [
    'builds with its script; the component has no pocket-wit:plugin section',
    async (r, file) => {
      const bytes = new Uint8Array(readFileSync(file));
      assert.is(readPluginSection(bytes, file), undefined, `${label(r)}: pocket-wit build never touched it`);
    },
  ],
  [
    'check <file>: compatible with this host',
    async (r, file) => {
      const c = ok(await cli(['check', file]), `check ${label(r)}`);
      assert.match(c.stdout, /targets pocket:plugin@0\.2\.1/);
      assert.match(c.stdout, /^ {2}exports: (.*, )?pocket:plugin\/node@0\.2\.1(,|$)/m); // componentize-qjs also exports its `init`
      assert.match(c.stdout, /^compatible$/m);
    },
  ],
  [
    'info <file>: its nodes, examples and the permissions its metadata asks for',
    async (r, file) => {
      const i = ok(await cli(['info', file]), `info ${label(r)}`);
      assert.match(i.stdout, new RegExp(`^${r.name} 1\\.0\\.0 — `));
      assert.match(i.stdout, /described by: its metadata\(\)/);
      const path = `examples/interop/${r.folder}/dist/${r.file}`;
      const shown = docBlocks('info-output').get(path);
      if (shown !== undefined) assert.is(comparable(i.stdout), comparable(shown.replace(`$ pocket-wit info ${path}\n`, '')), `info as docs/INTEROP.md shows it for ${path}`);
      assert.match(i.stdout, new RegExp(`^node ${r.node} \\(text\\): `, 'm'));
      assert.match(i.stdout, /^ {2}example /m);
      assert.match(i.stdout, r.env ? new RegExp(`^ {2}env: ${r.env}$`, 'm') : /^ {2}env: none$/m);
      if (r !== SLOW) {
        const j = JSON.parse(ok(await cli(['info', file, '--json']), `info --json ${label(r)}`).stdout) as { name: string; nodes: { type: string }[]; permissions: { env?: string[] } };
        assert.is(j.name, r.name);
        assert.equal(j.nodes.map((n) => n.type), [r.node]);
        assert.equal(j.permissions.env ?? [], r.env ? [r.env] : []);
      }
    },
  ],
  [
    'validate <file> and test <file>: its metadata, and the examples it declares',
    async (r, file) => {
      const v = ok(await cli(['validate', file]), `validate ${label(r)}`);
      assert.match(v.stdout, new RegExp(`ok: ${r.name} 1\\.0\\.0 is valid \\(1 node, ${r.examples} examples? checked\\)`));
      const t = ok(await cli(['test', file]), `test ${label(r)}`);
      assert.match(t.stdout, new RegExp(`${r.name}: ${r.examples} passed, 0 failed`));
    },
  ],
  [
    'run <file>: what its metadata asks for is granted (--deny-env takes it away)',
    async (r, file) => {
      const args = ['run', file, r.node, '--input', JSON.stringify(r.input), '--json'];
      const granted = JSON.parse(ok(await cli(args), `run ${label(r)}`).stdout) as { output: unknown; next: string };
      assert.equal(granted, { output: r.outputWithEnv, next: r.next });
      if (r.env) {
        const denied = JSON.parse(ok(await cli([...args, '--deny-env']), `run --deny-env ${label(r)}`).stdout) as { output: unknown };
        assert.equal(denied.output, r.output);
      }
    },
  ],
  [
    'install <file> --yes: the consent text shows what its metadata asks for',
    async (r, file) => {
      const i = ok(await cli(['install', file, '--yes', ...dirArgs(r)]), `install ${label(r)}`);
      assert.match(i.stdout, new RegExp(`^installed ${r.name} 1\\.0\\.0 → `));
      assert.match(i.stderr, new RegExp(`${r.name} 1\\.0\\.0: .*\\n {2}nodes: ${r.node} \\(text\\)\\n {2}permissions: `));
      if (r.env) assert.match(i.stderr, new RegExp(`^ {4}env: ${r.env}$`, 'm'), `the consent names the env variable ${r.env}`);
      const path = `examples/interop/${r.folder}/dist/${r.file}`;
      const shown = docBlocks('install-output').get(path);
      if (shown !== undefined) {
        const [command, pathLine, ...consent] = shown.trimEnd().split('\n');
        assert.is(command, `$ pocket-wit install ${path}`);
        assert.ok(i.stderr.includes(pathLine!.replace(path, file)), `install names the file as the page shows:\n${pathLine}\n${i.stderr}`);
        assert.ok(i.stderr.includes(consent.join('\n')), `install shows the consent as the page does:\n${consent.join('\n')}\n---\n${i.stderr}`);
      }
      const dir = IN_HOME.has(r) ? join(HOME, 'plugins') : DIR;
      const lock = JSON.parse(readFileSync(join(dir, 'pocket-lock.json'), 'utf8')) as { plugins: Record<string, { version: string; sha256: string }> };
      assert.is(lock.plugins[r.name]?.version, '1.0.0');
      assert.is(lock.plugins[r.name]?.sha256, createHash('sha256').update(readFileSync(file)).digest('hex'));
    },
  ],
];

test.before(() => {
  built(SLOW).catch(() => {}); // the slow build starts at once; its test reports a failure
});

timed('docs/INTEROP.md shows every recipe file byte for byte', () => {
  const blocks = docBlocks('example-file');
  const files = readdirSync(INTEROP, { recursive: true, encoding: 'utf8' }).filter((f) => /(^|\/)(build[\w-]*\.sh|world\.wit|[\w-]+\.yaml)$/.test(f) && !f.includes('/deps/'));
  assert.ok(files.length >= 8, `found ${files.join(', ')}`);
  for (const f of files) {
    const path = `examples/interop/${f}`;
    assert.ok(blocks.has(path), `docs/INTEROP.md should show ${path} in a <!-- example-file: ${path} --> block`);
    assert.is(blocks.get(path), readFileSync(join(ROOT, path), 'utf8'), `${path} as shown in docs/INTEROP.md`);
  }
  for (const r of RECIPES) assert.ok(blocks.has(`examples/interop/${r.folder}/${r.script}`), `${label(r)} is shown`);
});

for (const [name, check] of perRecipe) timed(`${name} (${FAST.map(label).join(', ')})`, () => each(FAST, check));

timed('run <file>: a node-error comes back as one, not a trap', async () => {
  const slugify = await cli(['run', await built(RECIPES[2]!), 'nope', '--input', '{}', '--json']);
  assert.is(slugify.code, 1, slugify.stderr);
  assert.match(slugify.stdout, /"code":"not-found"/);
  const greeter = await cli(['run', await built(RECIPES[1]!), 'greet', '--input', '{"name":" "}', '--json']);
  assert.is(greeter.code, 1, greeter.stderr);
  assert.equal(JSON.parse(greeter.stdout), { error: { code: 'invalid-input', message: 'input.name must be a non-empty string', node: 'greet', phase: 'prep', details: { field: 'name' } } });
});

timed(`${label(SLOW)} (componentize-js): ${perRecipe.map(([name]) => name.replace(/:.*/, '')).join('; ')}`, async () => {
  const file = await built(SLOW);
  for (const [, check] of perRecipe) await check(SLOW, file);
});

timed('list: text and --json, in POCKET_HOME and in --dir', async () => {
  const home = ok(await cli(['list']), 'list');
  for (const name of ['interop-greeter', 'interop-slugify', 'interop-reverse']) assert.match(home.stdout, new RegExp(`^${name} +1\\.0\\.0 `, 'm'));
  const json = JSON.parse(ok(await cli(['list', '--json']), 'list --json').stdout) as { name: string; nodes: string[]; intact: boolean }[];
  assert.equal(json.map((p) => [p.name, p.nodes, p.intact]), [
    ['interop-greeter', ['greet'], true],
    ['interop-reverse', ['reverse'], true],
    ['interop-slugify', ['slugify'], true],
  ]);
  const dir = JSON.parse(ok(await cli(['list', '--dir', DIR, '--json']), 'list --dir --json').stdout) as { name: string }[];
  assert.equal(dir.map((p) => p.name), ['interop-greeter']);
});

timed('info <name> and run <name> <node>: the installed plugin by its name, with what was consented to', async () => {
  await each(RECIPES, async (r) => {
    const i = ok(await cli(['info', r.name, ...dirArgs(r)]), `info ${r.name}`);
    assert.match(i.stdout, new RegExp(`^${r.name} 1\\.0\\.0 — `));
    assert.match(i.stdout, new RegExp(`^node ${r.node} \\(text\\): `, 'm'));
    const res = JSON.parse(ok(await cli(['run', r.name, r.node, '--input', JSON.stringify(r.input), '--json', ...dirArgs(r)]), `run ${r.name}`).stdout) as { output: unknown; next: string };
    assert.equal(res, { output: r.outputWithEnv, next: r.next });
  });
});

timed('flow: a workflow of the three installed plugins, found in POCKET_HOME', async () => {
  const flow = join(INTEROP, 'pipeline.yaml');
  const res = ok(await cli(['flow', flow, '--input', '{"name":"Ada"}', '--json']), 'flow');
  assert.ok(DOC.includes(`$ GREETING=Howdy pocket-wit flow examples/interop/pipeline.yaml --input '{"name":"Ada"}' --json\n${res.stdout}`), `docs/INTEROP.md shows the run:\n${res.stdout}`);
  assert.equal(JSON.parse(res.stdout), {
    output: { reversed: 'ada-ydwoh', palindrome: false },
    store: { 'interop-reverse.calls': 1 },
    path: ['greet', 'greeting-text', 'slug', 'slug-text', 'reverse'],
    action: 'default',
  });
  const unset = ok(await cli(['flow', flow, '--input', '{"name":"Ada"}', '--json'], { GREETING: '' }), 'flow without GREETING');
  assert.equal((JSON.parse(unset.stdout) as { output: unknown }).output, { reversed: 'ada-olleh', palindrome: false });
});

timed('host API: loadPlugin learns the permissions from metadata() once per sha256, then uses that answer', async () => {
  const r = RECIPES.find((x) => x.folder === 'c-slugify')!;
  const file = await built(r);
  const cacheDir = tempDir('pocket-interop-cache-');
  const sha256 = createHash('sha256').update(readFileSync(file)).digest('hex');
  // learnMetadata: false (what build and stamp use for a component they are making): read under
  // its source name with what its metadata asks for not granted, and nothing remembered.
  const unlearned = await loadPlugin(file, { cacheDir, log: silentLogSink, learnMetadata: false });
  try {
    assert.is(unlearned.metadata.name, 'interop-slugify');
    assert.equal(unlearned.permissions?.env ?? [], []);
  } finally {
    await unlearned.close();
  }
  assert.is(learnedMetadata(sha256, cacheDir), undefined);
  const first = await loadPlugin(file, { cacheDir, log: silentLogSink });
  try {
    assert.is(first.metadata.name, 'interop-slugify');
    assert.equal(first.permissions?.env, ['SLUG_SEPARATOR']);
    assert.is(first.permissions?.timeoutMs, 2000);
    assert.is(first.permissions?.memoryBytes, 16 * 1024 * 1024);
    assert.equal(await first.runNode('slugify', { input: { text: 'C to Wasm' }, config: { separator: '_' } }), { output: { slug: 'c_to_wasm', words: 3 }, next: 'default' });
  } finally {
    await first.close();
  }
  const entry = join(cacheDir, 'metadata', `${sha256}.json`);
  const learned = learnedMetadata(sha256, cacheDir);
  assert.ok(learned, `the answer is cached by sha256 (${entry})`);
  assert.equal(learned!.permissions.env, ['SLUG_SEPARATOR']);
  // The next load starts from the cached answer, not a new one: narrowed in the cache, it is narrowed.
  const cached = JSON.parse(readFileSync(entry, 'utf8')) as { metadata: { permissions: { env: string[] } } };
  cached.metadata.permissions.env = [];
  writeFileSync(entry, JSON.stringify(cached));
  const second = await loadPlugin(file, { cacheDir, log: silentLogSink });
  try {
    assert.equal(second.permissions?.env, []);
  } finally {
    await second.close();
  }
});

test.run();
