/** The worker side of probePlugin: load, read metadata, run the declared examples. */
import { isDeepStrictEqual } from 'node:util';
import { parentPort, workerData } from 'node:worker_threads';
import { isPluginError } from '../errors.js';
import { silentLogSink } from '../host-api.js';
import { loadPlugin } from '../load.js';
import { SqliteBackend } from '../storage/sqlite.js';
import type { ExampleResult, ProbeReply, ProbeRequest } from './probe.js';

const request = workerData as ProbeRequest;

async function probe(): Promise<ProbeReply> {
  // Examples run against a private, empty storage: they start from the same state every time and
  // never read or change what the plugin keeps in the user's storage.
  const storage = new SqliteBackend(':memory:');
  const plugin = await loadPlugin(request.file, {
    log: silentLogSink,
    storage,
    ...(request.cacheDir ? { cacheDir: request.cacheDir } : {}),
    ...(request.permissions ? { permissions: request.permissions } : {}),
  });
  const examples: ExampleResult[] = [];
  if (request.runExamples) {
    for (const node of plugin.metadata.nodes) {
      for (const ex of node.examples) {
        const started = performance.now();
        const base = { node: node.type, example: ex.name, ...(ex.output !== undefined ? { expected: ex.output } : {}) };
        try {
          const r = await plugin.runNode(node.type, { input: ex.input, ...(ex.config ? { config: ex.config as Record<string, unknown> } : {}) });
          const status = ex.output === undefined ? 'ran' : isDeepStrictEqual(r.output, ex.output) ? 'pass' : 'fail';
          examples.push({ ...base, status, actual: r.output, next: r.next, ms: performance.now() - started });
        } catch (err) {
          const error = { code: isPluginError(err) ? err.code : ('trap' as const), message: err instanceof Error ? err.message : String(err) };
          examples.push({ ...base, status: 'fail', error, ms: performance.now() - started });
        }
      }
    }
  }
  await plugin.close();
  await storage.close();
  return { ok: true, result: { metadata: plugin.metadata, examples } };
}

probe().then(
  (reply) => parentPort!.postMessage(reply),
  (err: unknown) => parentPort!.postMessage({ ok: false, code: isPluginError(err) ? err.code : 'trap', message: err instanceof Error ? err.message : String(err) } satisfies ProbeReply),
);
