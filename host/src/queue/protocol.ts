/**
 * What producers and workers of a queue agree on: the Redis keys, a batch's description (its
 * spec) and one item's job. Everything a worker runs is named here by sha256.
 */
import type { PermissionsGrant } from '../sandbox/policy.js';

/** The BullMQ queue of a queue name (its keys live under `bull:<queue>:`). */
export function bullQueueName(name: string): string {
  return `pocket-wit-items.${name}`;
}

/** pocket-wit's own keys of a queue name. */
export function keys(queue: string) {
  const base = `pocket-wit:${queue}`;
  return {
    /** Content-addressed bytes: a plugin component or a workflow file. */
    blob: (sha256: string) => `${base}:blob:${sha256}`,
    /** The current spec of a batch (JSON `BatchSpec`). */
    spec: (batch: string) => `${base}:batch:${batch}:spec`,
    /** A batch's generation counter: a fresh (not resumed) run starts a new generation. */
    generation: (batch: string) => `${base}:batch:${batch}:gen`,
    /** Results of one generation not yet written by the producer: item index → JSON result. */
    results: (batch: string, gen: number) => `${base}:batch:${batch}:${gen}:results`,
  };
}

/** One file of a batch's workflow: the workflow itself or a nested flow it names. */
export interface SpecFile {
  /** Path relative to the bundle's base directory (`/`-separated). */
  path: string;
  sha256: string;
}

/** One plugin of a batch, by the sha256 of its component bytes. */
export interface SpecPlugin {
  /** The name it was loaded under on the producer (for messages). */
  name: string;
  /** Its file name on the producer (for messages). */
  file: string;
  sha256: string;
  size: number;
  /** What it is granted at most: the producer's flags, narrowed to the consent of an install. */
  grant: PermissionsGrant | null;
}

/** Everything a worker needs to run a batch's items, as the producer published it. */
export interface BatchSpec {
  batch: string;
  gen: number;
  /** What this batch is (inputs, workflow, plugins, options): a resumed run with another fingerprint starts over. */
  fingerprint: string;
  /** What its items run on (workflow, plugins, grants, options; not the inputs): batches alike share a worker's threads. */
  runtime: string;
  /** The workflow file (a path among `files`). */
  workflow: string;
  files: SpecFile[];
  plugins: SpecPlugin[];
  store?: Record<string, unknown>;
  stepLimit?: number;
  timings?: boolean;
  /** Where the producer runs and writes (for workers' messages). */
  producer: { host: string; out: string };
}

/** One job: one input of one batch generation. */
export interface ItemJob {
  b: string;
  g: number;
  /** The input's index in the batch (stable across a resumed producer). */
  i: number;
  input: unknown;
}

/** The BullMQ job id of an item (no `:` allowed). */
export function jobId(batch: string, gen: number, index: number): string {
  return `${batch}.${gen}.${index}`;
}
