/**
 * `npm start`: the main job. Builds the example plugins when needed (TypeScript, Rust, Go and C:
 * sentiment-analyzer, word-counter, json-transformer, c-word-stats), then runs the demo workflow
 * (examples/workflows/review-report.yaml, which nests review-pipeline.yaml) over a handful of
 * product reviews through the real host and workflow engine, and prints a summary.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinNodeTypes, Flow, isPluginError, loadPlugin, NodeRegistry, silentLogSink } from '../host/src/index.js';
import { findPluginFiles } from '../tools/plugin-search.js';
import { createStepReporter } from '../tools/ui/steps.js';

interface Review {
  id: string;
  product: string;
  text: string;
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

async function main(): Promise<void> {
  const reviews = JSON.parse(readFileSync(join(root, 'examples/data/reviews.json'), 'utf8')) as Review[];
  const steps = createStepReporter();
  const files = await findPluginFiles([join(root, 'examples')], steps);
  const registry = new NodeRegistry(builtinNodeTypes());
  const plugins = await steps.step('loading plugins', () => Promise.all(files.map((f) => loadPlugin(f, { log: silentLogSink }))), (p) => p.map((x) => x.name).join(', '));
  for (const plugin of plugins) registry.addPlugin(plugin);
  const flow = Flow.load(join(root, 'examples/workflows/review-report.yaml'), registry);
  const store = new Map<string, unknown>();
  const routes = new Map<string, number>();
  const started = performance.now();

  console.log(`\nworkflow ${flow.name}: ${flow.source.def.description}\n`);
  console.log(`${'review'.padEnd(7)} ${'product'.padEnd(26)} ${'sentiment'.padEnd(9)} ${'conf'.padStart(4)} ${'words'.padStart(5)}  ${'route'.padEnd(13)} reply`);
  for (const review of reviews) {
    const result = await flow.run({ input: review, store, log: silentLogSink });
    // One flat row from the Go json-transformer: review.* from the nested pipeline, words.* from Rust.
    const row = result.output as Record<string, unknown>;
    const out = { sentiment: String(row['review.sentiment']), confidence: Number(row['review.confidence']), reply: String(row['review.reply']), words: Number(row['words.total']) };
    const route = result.trace.find((s) => s.node.endsWith('/analyze') || s.node === 'analyze')?.action ?? '?';
    routes.set(route, (routes.get(route) ?? 0) + 1);
    console.log(`${review.id.padEnd(7)} ${review.product.slice(0, 26).padEnd(26)} ${out.sentiment.padEnd(9)} ${out.confidence.toFixed(2).padStart(4)} ${String(out.words).padStart(5)}  ${route.padEnd(13)} ${out.reply}`);
  }
  const ms = performance.now() - started;
  console.log(`\n${reviews.length} reviews in ${ms.toFixed(0)} ms; routes: ${[...routes].map(([k, v]) => `${k} ${v}`).join(', ')}`);
  console.log(`plugins: ${plugins.map((p) => `${p.name} (${p.source.engine ?? '?'})`).join(', ')}`);
  // Every plugin ran sandboxed: in its own worker threads, under its manifest's caps.
  const caps = (p: (typeof plugins)[number]): string => (p.permissions ? `${Math.round(p.permissions.memoryBytes / 1048576)} MB, ${p.permissions.timeoutMs / 1000} s` : 'in-process');
  console.log(`sandbox: each plugin in its own worker threads; memory cap and per-call timeout: ${plugins.map((p) => `${p.name} ${caps(p)}`).join('; ')}`);
  console.log(`shared store: ${store.size} keys (sentiment results under sentiment:<timestamp>, the last word-stats count)`);
  console.log(`\nsame run from the CLI: npx pocket-wit flow examples/workflows/review-report.yaml --plugins examples --input '{"id":"r1","product":"Boots","text":"Great boots!"}'`);
  await Promise.all(plugins.map((p) => p.close()));
}

main().catch((err: unknown) => {
  if (isPluginError(err)) console.error(`error[${err.code}]: ${err.message}`);
  else console.error(err);
  process.exit(1);
});
