/**
 * Actions a plugin declares in its manifest (`actions: { <node type>: [...] }`, issue #17): the
 * build refuses actions of a node type the plugin does not offer; a workflow's connection on an
 * action the node never returns is an error at `flow --check` and before a run, with "did you
 * mean"; declared actions (and `default`) pass; a plugin that declares none accepts any action.
 * Plugins are copies of the C example (fast to build), through the real CLI.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, runCli, tempDir } from './helpers.js';

const work = tempDir('pocket-actions-');
const env = { POCKET_HOME: tempDir('pocket-home-'), POCKET_PLUGIN_PATH: '' };
const cli = (args: string[]) => runCli(args, { env, cwd: work });

/** A copy of the C example in `dir` whose manifest ends with `extra`. */
function copyC(dir: string, extra: string): string {
  const to = join(work, dir);
  cpSync(join(ROOT, 'examples/c-word-stats'), to, { recursive: true, filter: (s) => !s.includes('/dist') });
  const manifest = join(to, 'manifest.yaml');
  writeFileSync(manifest, `${readFileSync(manifest, 'utf8').trimEnd()}\n${extra}`);
  return to;
}

function workflow(name: string, action: string): string {
  const path = join(work, `${name}.yaml`);
  writeFileSync(path, `name: ${name}\nstart: count\nnodes:\n  - { name: count, type: word-stats }\n  - { name: after, type: echo }\nconnections:\n  - { from: count, to: after, action: ${action} }\n`);
  return path;
}

const declaring = copyC('declaring', 'actions:\n  word-stats: [long, short]\n');

test('the build refuses actions declared for a node type the plugin does not offer', async () => {
  const stray = copyC('stray', 'actions:\n  word-stat: [long]\n');
  const r = await cli(['build', stray]);
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, /error\[invalid-manifest\]: c-word-stats: the manifest declares actions for node types it does not offer:\n {2}- actions\.word-stat: the plugin has no node type "word-stat" \(did you mean "word-stats"\?\); its node types: word-stats/);
  assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
});

test('a connection on an action the plugin node never returns is refused, with did-you-mean; declared ones and default pass', async () => {
  const typo = await cli(['flow', workflow('typo', 'lng'), '--plugins', declaring, '--check']);
  assert.is(typo.code, 1, typo.stderr);
  assert.match(typo.stderr, /action "lng", which it never returns \(did you mean "long"\?\)/);
  assert.match(typo.stderr, /it returns: long, short, default/);
  // The run itself refuses it before any node runs.
  const run = await cli(['flow', workflow('typo-run', 'lng'), '--plugins', declaring, '--input', '{"text":"a b"}']);
  assert.is(run.code, 1, run.stderr);
  assert.match(run.stderr, /action "lng", which it never returns/);
  for (const action of ['long', 'short', 'default']) {
    const ok = await cli(['flow', workflow(`ok-${action}`, action), '--plugins', declaring, '--check']);
    assert.is(ok.code, 0, `${action}: ${ok.stderr}`);
  }
});

test('a plugin that declares no actions accepts any action on its connections', async () => {
  const plain = copyC('plain', '');
  const r = await cli(['flow', workflow('any', 'whatever'), '--plugins', plain, '--check']);
  assert.is(r.code, 0, r.stderr);
});

test.run();
