/**
 * The Go runtime's memory budget under the cap. Go (wasip1) keeps its heap in 4 MB arenas, each
 * placed 4 MB-aligned by bumping the linear memory; at start it maps its first arena plus the
 * alignment slack, about 9 MB above the module's static memory (json-transformer: 18.3 MB at
 * instantiation, 27.1 MB once started). Its collector, left alone, lets garbage reach 4 MB (the
 * minimum heap goal) before the first cycle, so a steady stream of small calls overflows the first
 * arena and the runtime asks for a second one: under a 32 MB cap there is no room, and the plugin
 * dies with "runtime: out of memory" after a few hundred calls although almost nothing is live.
 *
 * The host tells the runtime its budget instead: `GOMEMLIMIT` (read by the Go runtime at start; a
 * soft limit that makes the collector run before the heap grows past it) is the main memory's share
 * of the cap less its static memory and the start-up overhead, and at least 4 MiB. A plugin whose
 * live data needs more than its cap still fails with `memory-limit`; one that only makes garbage
 * now holds flat memory (`npm run bench:soak`).
 */
import type { MemoryPlan } from './memory-cap.js';

const MIB = 1024 * 1024;
/** What the Go runtime maps at start above its static memory: one arena and its alignment slack, and a margin. */
export const GO_START_OVERHEAD_BYTES = 10 * MIB;
/** The smallest budget given: below it the collector would run on every few calls. */
export const GO_MIN_MEMORY_LIMIT_BYTES = 4 * MIB;

/** `GOMEMLIMIT` in bytes for a Go plugin under `plan`; undefined when uncapped. */
export function goMemoryLimit(plan: MemoryPlan | undefined): number | undefined {
  if (!plan) return undefined;
  // The main memory: the largest initial size (the Go module's own; the adapter's is small).
  let main: { minBytes: number; maxBytes: number } | undefined;
  for (const module of Object.values(plan.modules)) {
    for (const share of module.memories) if (!main || share.minBytes > main.minBytes) main = share;
  }
  if (!main) return undefined;
  return Math.max(GO_MIN_MEMORY_LIMIT_BYTES, main.maxBytes - main.minBytes - GO_START_OVERHEAD_BYTES);
}

/** The environment a Go plugin starts with: nothing of the host's, only its memory budget. */
export function goRuntimeEnv(plan: MemoryPlan | undefined): [string, string][] {
  const limit = goMemoryLimit(plan);
  return limit === undefined ? [] : [['GOMEMLIMIT', String(limit)]];
}
