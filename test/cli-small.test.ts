/**
 * Small CLI things, through the real CLI (dist/pocket-wit.mjs): `help [command]`; `pack --json` and
 * `remove --json`; help examples use paths a user has, not this repository's; sizes in KB/MB by
 * one formatter (`info` of a 35 KB component); trace times rounded; `run` and `flow` default to
 * the same log level.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { readPluginSection, writePluginSection, type PluginSection } from '../host/src/plugin-section.js';
import { appendCustomSection } from '../host/src/component-sections.js';
import { formatSize } from '../tools/ui/format.js';
import { ROOT, runCli, tempDir } from './helpers.js';

const work = tempDir('pocket-small-');
const home = tempDir('pocket-small-home-');
const env = { POCKET_HOME: home, POCKET_PLUGIN_PATH: '' };
const cli = (args: string[]) => runCli(args, { env, cwd: work });
const project = join(work, 'my-plugin');
/** The pocket-wit:plugin section of the component `pack` built. */
let builtSection: PluginSection | undefined;

/** The command names, from the command list of `pocket-wit --help`. */
async function commands(): Promise<string[]> {
  const help = await cli(['--help']);
  assert.is(help.code, 0, help.stderr);
  const section = help.stdout.split(/\nCommands:\n/)[1]!.split(/\n\n/)[0]!;
  return section.split('\n').map((l) => l.trim().split(/\s+/)[0]!).filter(Boolean);
}

test.before(() => {
  try {
    cpSync(join(ROOT, 'examples/sentiment-analyzer'), project, { recursive: true, filter: (s) => !s.includes('/dist') && !s.includes('node_modules') });
  } catch (err) {
    console.error('cli-small before:', err);
    throw err;
  }
});

test('help <command> prints what <command> --help prints; help alone lists the commands; an unknown one is a usage error', async () => {
  const viaHelp = await cli(['help', 'run']);
  const viaFlag = await cli(['run', '--help']);
  assert.is(viaHelp.code, 0, viaHelp.stderr);
  assert.is(viaHelp.stdout, viaFlag.stdout);
  assert.match(viaHelp.stdout, /\$ pocket-wit run <plugin> <node-type>/);
  assert.match(viaHelp.stdout, /--log-level <level>/);

  const all = await cli(['help']);
  assert.is(all.code, 0, all.stderr);
  assert.is(all.stdout, (await cli(['--help'])).stdout);
  assert.ok((await commands()).includes('help'), '`help [command]` is in the command list');

  const typo = await cli(['help', 'rn']);
  assert.is(typo.code, 2);
  assert.match(typo.stderr, /^error\[usage\]: unknown command "rn" \(did you mean "run"\?\)/);
});

test('no command\'s --help shows a path of this repository (examples/…, wit/v…, docs/…)', async () => {
  const names = await commands();
  assert.ok(names.length >= 17, names.join(' '));
  for (const name of names) {
    const r = await cli([name, '--help']);
    assert.is(r.code, 0, `${name}: ${r.stderr}`);
    assert.not.match(r.stdout, /examples\/|\bwit\/v\d|docs\//, `${name} --help:\n${r.stdout}`);
  }
  const run = await cli(['run', '--help']);
  assert.match(run.stdout, /pocket-wit run \.\/my-plugin /);
});

test('run and flow show the same log levels by default (warn), and say so in --help', async () => {
  const level = async (cmd: string): Promise<string> => {
    const r = await cli([cmd, '--help']);
    const m = /--log-level <level>.*\(default: (\w+)\)/.exec(r.stdout);
    assert.ok(m, `${cmd} --help names its default log level:\n${r.stdout}`);
    return m![1]!;
  };
  assert.is(await level('run'), await level('flow'));
  assert.is(await level('run'), 'warn');
  // Behaviour: the echo node logs at info, which the default does not show.
  const wf = join(ROOT, 'examples/workflows/docs/echo.yaml');
  const quiet = await cli(['flow', wf, '--input', '{"text":"hi"}', '--json']);
  assert.is(quiet.code, 0, quiet.stderr);
  assert.not.match(quiet.stderr, /info: greeting received/);
  const loud = await cli(['flow', wf, '--input', '{"text":"hi"}', '--json', '--log-level', 'info']);
  assert.match(loud.stderr, /\[pocket\/greet\] info: greeting received/);
});

test('flow --trace writes every time in ms with at most 3 decimals', async () => {
  const trace = join(work, 'trace.json');
  const r = await cli(['flow', join(ROOT, 'examples/workflows/docs/echo.yaml'), '--input', '{"text":"hi"}', '--trace', trace]);
  assert.is(r.code, 0, r.stderr);
  const steps = JSON.parse(readFileSync(trace, 'utf8')) as Record<string, unknown>[];
  assert.is(steps.length, 2);
  const times: [string, number][] = [];
  const collect = (value: unknown, path: string): void => {
    if (Array.isArray(value)) value.forEach((v, i) => collect(v, `${path}[${i}]`));
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) collect(v, `${path}.${k}`);
    else if (typeof value === 'number' && /(Ms|\.prep|\.exec|\.post)$/.test(path)) times.push([path, value]);
  };
  collect(steps, 'trace');
  assert.ok(times.some(([p]) => p.endsWith('.durationMs')) && times.some(([p]) => p.endsWith('.phases.exec')), times.map(([p]) => p).join(' '));
  for (const [path, ms] of times) assert.ok(/^\d+(\.\d{1,3})?$/.test(String(ms)), `${path} = ${ms}: not rounded to 3 decimals`);
});

test('pack --json and remove --json print one line of documented shape', async () => {
  const tgz = join(work, 'my-plugin.tgz');
  const p = await cli(['pack', project, '-o', tgz, '--json']);
  assert.is(p.code, 0, p.stderr);
  assert.is(p.stdout.trim().split('\n').length, 1, p.stdout);
  const packed = JSON.parse(p.stdout) as Record<string, unknown>;
  assert.equal(Object.keys(packed), ['name', 'version', 'file', 'size', 'sha256', 'entries']);
  assert.is(packed.name, 'sentiment-analyzer');
  assert.is(packed.version, '1.0.0');
  assert.is(packed.file, tgz);
  assert.is(packed.size, readFileSync(tgz).length);
  assert.is(packed.sha256, createHash('sha256').update(readFileSync(tgz)).digest('hex'));
  assert.equal(packed.entries, ['manifest.yaml', 'plugin.wasm', 'src']);

  // The component's size, in info's text, by the same formatter.
  builtSection = readPluginSection(readFileSync(join(project, 'dist/sentiment-analyzer.wasm')));
  assert.ok(builtSection, 'pack built the project');
  const info = await cli(['info', join(project, 'dist/sentiment-analyzer.wasm')]);
  assert.match(info.stdout, /size: \d+(\.\d)? MB\n/);

  const i = await cli(['install', tgz, '--yes', '--json']);
  assert.is(i.code, 0, i.stderr);
  const installed = JSON.parse(i.stdout) as { sha256: string; dir: string };

  const r = await cli(['remove', 'sentiment-analyzer', '--yes', '--json']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout.trim().split('\n').length, 1, r.stdout);
  assert.equal(JSON.parse(r.stdout), { status: 'removed', name: 'sentiment-analyzer', version: '1.0.0', sha256: installed.sha256, dir: installed.dir });
  assert.not.ok(existsSync(join(installed.dir, 'sentiment-analyzer')));

  const missing = await cli(['remove', 'sentiment-analyzer', '--yes', '--json']);
  assert.is(missing.code, 1);
  assert.is(JSON.parse(missing.stdout).error.code, 'not-found');
});

test('sizes: one formatter, KB below a MB; info shows a 35 KB component in KB, not 0.0 MB', async () => {
  assert.is(formatSize(512), '512 bytes');
  assert.is(formatSize(35 * 1024), '35 KB');
  assert.is(formatSize(36_000), '35.2 KB');
  assert.is(formatSize(4.6 * 1024 * 1024), '4.6 MB');
  // A real component (the pocket:plugin WIT package, as `wit --wasm` writes it) carrying the
  // section `pack` built (above) and padding to 36,000 bytes: `info` reads the section, runs nothing.
  assert.ok(builtSection, 'the pack test ran first');
  const base = join(work, 'base.wasm');
  const w = await cli(['wit', '--wasm', '--out', base]);
  assert.is(w.code, 0, w.stderr);
  let bytes: Uint8Array = writePluginSection(readFileSync(base), { ...builtSection!, manifest: { ...builtSection!.manifest, name: 'small' } });
  const header = 1 + 3 + 1 + 'padding'.length; // section id, size (LEB128, 3 bytes here), name length, name
  bytes = appendCustomSection(bytes, 'padding', new Uint8Array(36_000 - bytes.length - header));
  const file = join(work, 'small.wasm');
  writeFileSync(file, bytes);
  assert.is(bytes.length, 36_000);
  const r = await cli(['info', file]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`size: ${formatSize(bytes.length).replace('.', '\\.')}\\n`));
  assert.match(r.stdout, /size: 3\d(\.\d)? KB\n/);
  assert.not.match(r.stdout, /0\.0 MB/);
});

test.run();
