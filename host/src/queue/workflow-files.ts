/**
 * A workflow with the nested flows it names (`type: flow`, `config.path`), as files relative to
 * one base directory: what a producer publishes so that a worker can lay the same tree out again.
 */
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { createHash } from 'node:crypto';
import { readWorkflow } from '../workflow/definition.js';

export interface WorkflowFile {
  /** Relative to the base directory, `/`-separated. */
  path: string;
  bytes: Buffer;
  sha256: string;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The workflow file and every file of a nested flow it reaches; `workflow` is the root's path in `files`. */
export function collectWorkflowFiles(workflowPath: string): { workflow: string; files: WorkflowFile[] } {
  const absolute: string[] = [];
  const visit = (file: string): void => {
    if (absolute.includes(file)) return;
    absolute.push(file);
    // A `flow` node anywhere: at the top, or inside a composite's (`parallel`, …) nodes.
    const walk = (value: unknown): void => {
      if (Array.isArray(value)) return value.forEach(walk);
      if (!value || typeof value !== 'object') return;
      const v = value as { type?: unknown; config?: { path?: unknown } };
      if (v.type === 'flow' && typeof v.config?.path === 'string') visit(resolve(dirname(file), v.config.path));
      Object.values(value).forEach(walk);
    };
    walk(readWorkflow(file).def.nodes);
  };
  visit(resolve(workflowPath));
  // The deepest directory that holds them all.
  let base = dirname(absolute[0]!);
  while (!absolute.every((f) => !relative(base, f).startsWith('..'))) base = dirname(base);
  const files = absolute.map((f) => {
    const bytes = readFileSync(f);
    return { path: relative(base, f).split(sep).join('/'), bytes, sha256: sha256(bytes) };
  });
  return { workflow: files[0]!.path, files };
}
