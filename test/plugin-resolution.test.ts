/**
 * How plugins are named and found (issue #17), through the real CLI in a temporary POCKET_HOME:
 * one rule for a `<plugin>` argument in run / info / validate / test; workflows' search path
 * where a `--plugins` copy shadows the installed one (with a note); qualified node types when two
 * plugins offer the same type; a missing `--plugins` folder; "did you mean" for a node type.
 * Plugins are copies of the C example (fast to build).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, runCli, tempDir } from './helpers.js';

const home = tempDir('pocket-home-');
const work = tempDir('pocket-resolve-');
const env = { POCKET_HOME: home, POCKET_PLUGIN_PATH: '' };
const cli = (args: string[], cwd = work) => runCli(args, { env, cwd });
/** The project a plugin author works on: a folder named like the plugin it installs. */
const dev = join(work, 'c-word-stats');
/** A folder with another plugin offering the same node type (`word-stats`). */
const twins = join(work, 'twins');

/** A copy of the C example under another plugin name (and description). */
function copyC(to: string, name = 'c-word-stats', description?: string): void {
  cpSync(join(ROOT, 'examples/c-word-stats'), to, { recursive: true, filter: (s) => !s.includes('/dist') });
  const manifest = join(to, 'manifest.yaml');
  let text = readFileSync(manifest, 'utf8').replace('name: c-word-stats', `name: ${name}`).replace('binary: dist/c-word-stats.wasm', `binary: dist/${name}.wasm`);
  if (description) text = text.replace(/^description: .*$/m, `description: ${description}`);
  writeFileSync(manifest, text);
}

function workflow(file: string, node: string): string {
  const path = join(work, file);
  writeFileSync(path, `name: count\nstart: count\nnodes:\n  - name: count\n${node}\n`);
  return path;
}

const input = ['--input', '{"text":"one two three"}', '--json'];

test.before(() => {
  try {
    copyC(dev);
    mkdirSync(twins);
    copyC(join(twins, 'stats-b'), 'stats-b');
  } catch (err) {
    console.error(err);
    throw err;
  }
});

test('install a project, then flow --plugins with the dev copy: it shadows the installed one, with a note', async () => {
  const installed = await cli(['install', dev, '--yes']);
  assert.is(installed.code, 0, installed.stderr);
  // The author edits the project after installing it: the dev copy is another build.
  writeFileSync(join(dev, 'manifest.yaml'), readFileSync(join(dev, 'manifest.yaml'), 'utf8').replace(/^description: .*$/m, 'description: the dev copy'));
  const wf = workflow('plain.yaml', '    type: word-stats');
  const r = await cli(['flow', wf, '--plugins', './c-word-stats', ...input]);
  assert.is(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).output, { words: 3, characters: 13, lines: 1 });
  assert.match(r.stderr, /note: plugin c-word-stats from \.\/c-word-stats\/dist\/c-word-stats\.wasm shadows the installed c-word-stats \(.*pocket-home-[^/]+\/plugins\/c-word-stats\/c-word-stats\.wasm\)/);
  assert.is(r.stderr.match(/shadows/g)!.length, 1, r.stderr);
  assert.not.match(r.stderr, /defined twice/);
  // Without --plugins, the installed copy runs, and nothing is shadowed.
  const plain = await cli(['flow', wf, ...input], tempDir());
  assert.is(plain.code, 0, plain.stderr);
  assert.not.match(plain.stderr, /shadows/);
});

test('one rule for <plugin>: installed names and project folders resolve in run, info, validate and test', async () => {
  // A bare word naming an installed plugin is the installed plugin, even with a folder of that name here (a note says how to name it).
  const run = await cli(['run', 'c-word-stats', 'word-stats', ...input]);
  assert.is(run.code, 0, run.stderr);
  assert.equal(JSON.parse(run.stdout).output, { words: 3, characters: 13, lines: 1 });
  assert.match(run.stderr, /note: c-word-stats names the installed plugin c-word-stats \(.*\); write \.\/c-word-stats for the project directory here/);
  const elsewhere = tempDir();
  const runInstalled = await cli(['run', 'c-word-stats', 'word-stats', ...input], elsewhere);
  assert.is(runInstalled.code, 0, runInstalled.stderr);
  assert.not.match(runInstalled.stderr, /note:/);
  // A path is always on disk: the project (the dev copy, rebuilt).
  const infoDir = await cli(['info', './c-word-stats', '--json']);
  assert.is(infoDir.code, 0, infoDir.stderr);
  assert.is(JSON.parse(infoDir.stdout).description, 'the dev copy');
  const infoName = await cli(['info', 'c-word-stats', '--json'], elsewhere);
  assert.is(infoName.code, 0, infoName.stderr);
  assert.is(JSON.parse(infoName.stdout).description, 'Word, character and line counts, written in C against the pocket:plugin ABI');
  // A bare word that is no installed name: a file or project folder here.
  const runDir = await cli(['run', 'twins/stats-b', 'word-stats', ...input]);
  assert.is(runDir.code, 0, runDir.stderr);
  const infoBare = await cli(['info', 'stats-b', '--json'], twins);
  assert.is(infoBare.code, 0, infoBare.stderr);
  assert.is(JSON.parse(infoBare.stdout).name, 'stats-b');
  const validate = await cli(['validate', 'c-word-stats'], elsewhere);
  assert.is(validate.code, 0, validate.stdout + validate.stderr);
  assert.match(validate.stdout, /^ok: c-word-stats 1\.0\.0 is valid/);
  const tested = await cli(['test', 'c-word-stats'], elsewhere);
  assert.is(tested.code, 0, tested.stdout + tested.stderr);
  assert.match(tested.stdout, /c-word-stats: 1 passed, 0 failed/);
  // Neither: the error says both what was looked for and close installed names.
  const missing = await cli(['run', 'c-word-stat', 'word-stats'], elsewhere);
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /error\[not-found\]: no installed plugin named c-word-stat \(did you mean "c-word-stats"\?\) in .*, and no file or project directory c-word-stat here/);
  const build = await cli(['build', 'c-word-stats'], elsewhere);
  assert.is(build.code, 1);
  assert.match(build.stderr, /c-word-stats is an installed plugin's name, and build needs the project's sources/);
});

test('two plugins offering one node type: an unqualified use is an error saying how to qualify; qualified uses run', async () => {
  const plain = workflow('plain.yaml', '    type: word-stats');
  const r = await cli(['flow', plain, '--plugins', twins, '--check']);
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, /error: node "count": node type "word-stats" is offered by plugins stats-b and c-word-stats; write type: stats-b\/word-stats \(or plugin: stats-b\)/);
  const graph = await cli(['graph', plain, '--plugins', twins]);
  assert.is(graph.code, 0, graph.stderr);
  assert.match(graph.stderr, /1 problem drawn on the graph \(1 error/);
  const slash = await cli(['flow', workflow('slash.yaml', '    type: c-word-stats/word-stats'), '--plugins', twins, ...input]);
  assert.is(slash.code, 0, slash.stderr);
  assert.equal(JSON.parse(slash.stdout).output, { words: 3, characters: 13, lines: 1 });
  const field = await cli(['flow', workflow('field.yaml', '    type: word-stats\n    plugin: stats-b'), '--plugins', twins, '--trace', join(work, 'trace.json'), ...input]);
  assert.is(field.code, 0, field.stderr);
  assert.match(readFileSync(join(work, 'trace.json'), 'utf8'), /"plugin": "stats-b"/);
  // Types the workflow does not use never clash: a workflow of built-ins checks with both loaded.
  const builtins = await cli(['flow', workflow('echo.yaml', '    type: echo'), '--plugins', twins, '--check']);
  assert.is(builtins.code, 0, builtins.stderr);
  const conflict = await cli(['flow', workflow('conflict.yaml', '    type: stats-b/word-stats\n    plugin: c-word-stats'), '--plugins', twins, '--check']);
  assert.is(conflict.code, 1);
  assert.match(conflict.stderr, /type "stats-b\/word-stats" names plugin stats-b, but plugin: c-word-stats names another/);
  const noPlugin = await cli(['flow', workflow('noplugin.yaml', '    type: stats-c/word-stats'), '--plugins', twins, '--check']);
  assert.is(noPlugin.code, 1);
  assert.match(noPlugin.stderr, /no plugin named stats-c \(did you mean "stats-b"\?\) was found for node type "word-stats"/);
});

test('a missing --plugins folder is an error naming it, in flow, graph and worker', async () => {
  const wf = workflow('plain.yaml', '    type: word-stats');
  for (const args of [['flow', wf, '--check'], ['graph', wf], ['worker', '--queue', 'redis://127.0.0.1:1']]) {
    const r = await cli([...args, '--plugins', './nope']);
    assert.is(r.code, 2, `${args[0]}: ${r.stderr}`);
    assert.match(r.stderr, /error\[usage\]: --plugins \.\/nope: no such directory/, args[0]);
  }
});

test('an unknown node type suggests the closest one, and still lists the plugins searched', async () => {
  const r = await cli(['flow', workflow('typo.yaml', '    type: word-stat'), '--check'], tempDir());
  assert.is(r.code, 1);
  assert.match(r.stderr, /unknown node type "word-stat" in node "count" \(did you mean "word-stats"\?\); not a built-in and not offered by any plugin searched: c-word-stats \(/);
});

test.run();
