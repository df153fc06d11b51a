/**
 * The queue code (`host/src/queue`, with BullMQ and the Redis client), loaded only by the commands
 * that use a queue: the bundled CLI imports the compiled module under dist/ at that moment, so
 * that every other command starts without loading the Redis client.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { toolchainRoot } from '../host/src/wit-world.js';

type QueueModule = typeof import('../host/src/queue/index.js');

export async function loadQueueModule(): Promise<QueueModule> {
  // From TypeScript sources (tsx, tests): the sources. Bundled or compiled: the compiled module.
  const source = import.meta.url.endsWith('.ts') ? new URL('../host/src/queue/index.ts', import.meta.url).href : pathToFileURL(join(toolchainRoot(), 'dist', 'host', 'src', 'queue', 'index.js')).href;
  return (await import(source)) as QueueModule;
}
