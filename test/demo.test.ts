/** The main job's workflow: every example plugin (TypeScript, Rust, Go, C) in one run. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { built, ROOT, runCli, tempDir } from './helpers.js';

test('review-report.yaml runs the four example plugins and flattens one report row', async () => {
  const plugins = join(tempDir(), 'plugins');
  mkdirSync(plugins);
  for (const name of ['sentiment-analyzer', 'word-counter', 'json-transformer', 'c-word-stats']) copyFileSync(await built(`examples/${name}`), join(plugins, `${name}.wasm`));
  const input = { id: 'r1', product: 'Boots', text: 'Great boots, I love them. Amazing quality!' };
  const r = await runCli(['flow', join(ROOT, 'examples/workflows/review-report.yaml'), '--plugins', plugins, '--input', JSON.stringify(input), '--json']);
  assert.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { output: Record<string, unknown>; path: string[]; store: Record<string, unknown> };
  assert.equal(out.path, ['measure', 'shape', 'report', 'row']);
  assert.equal(out.output, {
    characters: 42,
    'review.confidence': 1,
    'review.reply': "Thank you! We're glad you enjoyed it (great,love,amazing).",
    'review.score': 1,
    'review.sentiment': 'positive',
    'words.longest': 'amazing',
    'words.total': 6,
    'words.unique': 6,
  });
  assert.is(out.store['word-stats:last'], 7);
});

test.run();
