/**
 * The workflow file format (the reference's YAML): its schema, and reading a file into a
 * definition that remembers where in the file each value came from, so every problem can be
 * reported with its line and column.
 */
import { readFileSync } from 'node:fs';
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import '../typebox-settings.js';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import { PluginError } from '../errors.js';
import { unknownKeyMessages } from '../unknown-keys.js';

const DURATION = '^\\s*\\d+(\\.\\d+)?\\s*(ms|s|m)\\s*$';

const RetrySchema = Type.Object(
  {
    max_attempts: Type.Integer({ minimum: 1 }),
    delay: Type.Optional(Type.String({ pattern: DURATION })),
    multiplier: Type.Optional(Type.Number({ minimum: 1 })),
    max_delay: Type.Optional(Type.String({ pattern: DURATION })),
  },
  { additionalProperties: false },
);

const WorkflowNodeSchema = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    type: Type.String({ minLength: 1 }),
    /** The plugin offering `type`, when two plugins offer it (same as `type: plugin/type`). */
    plugin: Type.Optional(Type.String({ minLength: 1 })),
    description: Type.Optional(Type.String()),
    config: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    retry: Type.Optional(RetrySchema),
    timeout: Type.Optional(Type.String({ pattern: DURATION })),
  },
  { additionalProperties: false },
);

const ConnectionSchema = Type.Object(
  {
    from: Type.String({ minLength: 1 }),
    to: Type.String({ minLength: 1 }),
    action: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

/** The workflow file's schema. */
export const WorkflowSchema = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    description: Type.Optional(Type.String()),
    version: Type.Optional(Type.String()),
    metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    start: Type.String({ minLength: 1 }),
    nodes: Type.Array(WorkflowNodeSchema, { minItems: 1 }),
    connections: Type.Optional(Type.Array(ConnectionSchema)),
    /** Plugin version pins: `{ sentiment-analyzer: "^1.2.0" }`, or from a named npm package: `"npm:@acme/sentiment@^1.2.0"`. */
    plugins: Type.Optional(Type.Record(Type.String(), Type.String())),
  },
  { additionalProperties: false },
);

export type WorkflowDef = Static<typeof WorkflowSchema>;
export type WorkflowNodeDef = Static<typeof WorkflowNodeSchema>;
export type ConnectionDef = Static<typeof ConnectionSchema>;
export type RetryDef = Static<typeof RetrySchema>;

/** One problem in a workflow file, with where it is. */
export interface WorkflowProblem {
  severity: 'error' | 'warning';
  message: string;
  /** The path in the document, e.g. `nodes.2.type`. */
  path: string;
  line?: number;
  column?: number;
}

/** A workflow read from a file (or text), with a way to locate any path in it. */
export interface WorkflowSource {
  /** The file, or `<text>`. */
  file: string;
  def: WorkflowDef;
  /** Line and column of a document path, when the file has it. */
  locate(path: (string | number)[]): { line: number; column: number } | undefined;
}

export function formatProblem(file: string, p: WorkflowProblem): string {
  const at = p.line ? `${file}:${p.line}:${p.column}` : file;
  return `${at}: ${p.severity}: ${p.message}${p.path ? ` (at ${p.path})` : ''}`;
}

/** Raised when a workflow file is invalid; carries every problem found. */
export class WorkflowInvalidError extends PluginError {
  readonly problems: WorkflowProblem[];
  constructor(file: string, problems: WorkflowProblem[]) {
    const errors = problems.filter((p) => p.severity === 'error');
    super('invalid-workflow', `${file} has ${errors.length} problem${errors.length === 1 ? '' : 's'}:\n  ${errors.map((p) => formatProblem(file, p)).join('\n  ')}`, {
      details: { problems },
    });
    this.problems = problems;
  }
}

function locator(doc: Document, lines: LineCounter) {
  return (path: (string | number)[]): { line: number; column: number } | undefined => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) {
        const pos = lines.linePos(node.range[0]);
        return { line: pos.line, column: pos.col };
      }
    }
    return undefined;
  };
}

function schemaProblems(value: unknown, locate: WorkflowSource['locate']): WorkflowProblem[] {
  const seen = new Set<string>();
  const problems: WorkflowProblem[] = [];
  for (const e of Value.Errors(WorkflowSchema, value)) {
    if (e.message.includes('schema is false')) continue; // the unknown-field error already says it
    const parts = e.instancePath.split('/').slice(1).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
    const path = parts.join('.');
    let message = `${path || 'workflow'}: ${e.message}`;
    if (e.keyword === 'required') {
      const missing = (e.params as { requiredProperties?: string[] }).requiredProperties ?? [];
      message = `${path ? path + ': ' : ''}missing required field${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`;
    } else if (e.keyword === 'additionalProperties') {
      // One problem per unknown key, located at the key's value, with the closest known key.
      const extra = (e.params as { additionalProperties?: string[] }).additionalProperties ?? [];
      const messages = unknownKeyMessages(WorkflowSchema, e);
      extra.forEach((key, k) => {
        const at = [...parts, key];
        const text = `${path ? path + ': ' : ''}${messages[k]}`;
        if (seen.has(text)) return;
        seen.add(text);
        problems.push({ severity: 'error', message: text, path: at.join('.'), ...(locate(at) ?? {}) });
      });
      continue;
    } else if (e.keyword === 'pattern') {
      message = `${path}: "${String(Value.Pointer.Get(value as object, e.instancePath))}" is not a duration; write for example "500ms", "5s" or "1m"`;
    }
    if (seen.has(message)) continue;
    seen.add(message);
    problems.push({ severity: 'error', message, path, ...(locate(parts) ?? {}) });
  }
  return problems;
}

/** Parse workflow YAML (or JSON) text; throws `invalid-workflow` listing every format problem. */
export function parseWorkflow(text: string, file = '<text>'): WorkflowSource {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const locate = locator(doc, lines);
  if (doc.errors.length > 0) {
    throw new WorkflowInvalidError(
      file,
      doc.errors.map((e) => {
        const pos = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
        return { severity: 'error', message: `not valid YAML: ${e.message.split('\n')[0]}`, path: '', line: pos.line, column: pos.col };
      }),
    );
  }
  const value: unknown = doc.toJS();
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new WorkflowInvalidError(file, [{ severity: 'error', message: 'expected a mapping with name, start, nodes and connections', path: '' }]);
  }
  const problems = schemaProblems(value, locate);
  if (problems.length > 0) throw new WorkflowInvalidError(file, problems);
  return { file, def: value as WorkflowDef, locate };
}

/** Read and parse a workflow file. */
export function readWorkflow(path: string): WorkflowSource {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PluginError('not-found', `cannot read workflow ${path}: ${(err as Error).message}`);
  }
  return parseWorkflow(text, path);
}
