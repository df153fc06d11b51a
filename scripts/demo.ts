/**
 * `npm start`: the main job. Builds the example plugin when needed and runs it over a handful of
 * product reviews through the real host, then prints a summary.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPlugin, silentLogSink, isPluginError } from '../host/src/index.js';
import { resolvePluginFile } from '../tools/plugin-source.js';
import { createStepReporter } from '../tools/ui/steps.js';

interface Review {
  id: string;
  product: string;
  text: string;
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

async function main(): Promise<void> {
  const reviews = JSON.parse(readFileSync(join(root, 'examples/data/reviews.json'), 'utf8')) as Review[];
  const file = await resolvePluginFile(join(root, 'examples/sentiment-analyzer'), createStepReporter());
  const started = performance.now();
  const plugin = await loadPlugin(file, { log: silentLogSink });
  const loadMs = performance.now() - started;
  const store = new Map<string, unknown>();
  const routes = new Map<string, number>();
  console.log(`\n${plugin.name}@${plugin.metadata.version} (${plugin.source.engine}, loaded in ${loadMs.toFixed(0)} ms) over ${reviews.length} reviews:\n`);
  console.log(`${'review'.padEnd(8)} ${'product'.padEnd(28)} ${'sentiment'.padEnd(9)} ${'score'.padStart(5)} ${'conf'.padStart(5)}  ${'route'.padEnd(13)} keywords`);
  for (const review of reviews) {
    const { output, next } = await plugin.runNode('sentiment', { input: { text: review.text }, store });
    const r = output as { sentiment: string; score: number; confidence: number; keywords: string[] };
    routes.set(next, (routes.get(next) ?? 0) + 1);
    console.log(
      `${review.id.padEnd(8)} ${review.product.slice(0, 28).padEnd(28)} ${r.sentiment.padEnd(9)} ${r.score.toFixed(2).padStart(5)} ${r.confidence.toFixed(2).padStart(5)}  ${next.padEnd(13)} ${r.keywords.join(', ')}`,
    );
  }
  console.log(`\nroutes: ${[...routes].map(([k, v]) => `${k} ${v}`).join(', ')}`);
  console.log(`shared store: ${store.size} results under sentiment:<timestamp> keys`);
  await plugin.close();
}

main().catch((err: unknown) => {
  if (isPluginError(err)) console.error(`error[${err.code}]: ${err.message}`);
  else console.error(err);
  process.exit(1);
});
