/**
 * The README tutorial, followed as a new user would: its two files are taken from README.md,
 * written to a directory outside the repo, built and run with the real CLI.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT, runCli, tempDir } from './helpers.js';

function tutorialFiles(): Map<string, string> {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const files = new Map<string, string>();
  for (const m of readme.matchAll(/<!-- tutorial-file: (\S+) -->\n```\w*\n([\s\S]*?)```/g)) files.set(m[1]!, m[2]!);
  return files;
}

const dir = join(tempDir('pocket-wit-tutorial-'), 'greeter');

test('README.md holds the tutorial\'s manifest and source', () => {
  assert.equal([...tutorialFiles().keys()].sort(), ['manifest.yaml', 'src/index.ts']);
});

test('the tutorial plugin builds outside the repo and runs as the README says', async () => {
  for (const [name, text] of tutorialFiles()) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  const build = await runCli(['build', '.'], { cwd: dir });
  assert.is(build.code, 0, build.stderr);
  const run = await runCli(['run', '.', 'greet', '--input', '{"name":"Ada"}', '--json'], { cwd: dir });
  assert.is(run.code, 0, run.stderr);
  assert.is(run.stdout.trim(), '{"output":{"message":"Hello, Ada!"},"next":"greeted"}');
  const hi = await runCli(['run', '.', 'greet', '--input', '{"name":"Ada"}', '--config', '{"greeting":"Hi"}', '--json'], { cwd: dir });
  assert.equal(JSON.parse(hi.stdout).output, { message: 'Hi, Ada!' });
  const bad = await runCli(['run', '.', 'greet', '--input', '{}', '--json'], { cwd: dir });
  assert.is(bad.code, 1);
  assert.is(JSON.parse(bad.stdout).error.code, 'invalid-input');
});

test.run();
