/**
 * "Unknown key" messages for objects whose schema says `additionalProperties: false` (manifests,
 * workflows, node configs): each extra key, with the closest known key when it is a likely typo,
 * else the list of known keys.
 */
import { didYouMean } from './did-you-mean.js';

/** A typebox `additionalProperties` error (the one naming every extra key of an object). */
export interface AdditionalPropertiesError {
  keyword: string;
  schemaPath: string;
  instancePath: string;
  params: Record<string, unknown>;
}

/** The schema at a `#/a/b` pointer of `root`, or undefined. */
export function schemaAt(root: unknown, pointer: string): unknown {
  let cur: unknown = root;
  for (const raw of pointer.replace(/^#\/?/, '').split('/').filter((p) => p !== '')) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** The keys an object schema defines. */
export function knownKeys(schema: unknown): string[] {
  const properties = (schema as { properties?: unknown } | undefined)?.properties;
  return properties !== null && typeof properties === 'object' ? Object.keys(properties) : [];
}

/** `unknown key "x" (did you mean "y"?)`, or `unknown key "x" (known: a, b)`. */
export function unknownKeyMessage(key: string, known: readonly string[]): string {
  const hint = didYouMean(key, known);
  if (hint) return `unknown key "${key}"${hint}`;
  return `unknown key "${key}"${known.length ? ` (known: ${known.join(', ')})` : ''}`;
}

/**
 * One message per extra key of an `additionalProperties` error of `root` (typebox's
 * `Value.Errors`), each with the keys that object's schema knows; `[]` for other errors.
 */
export function unknownKeyMessages(root: unknown, error: AdditionalPropertiesError): string[] {
  if (error.keyword !== 'additionalProperties') return [];
  const extra = (error.params.additionalProperties as string[] | undefined) ?? [];
  const known = knownKeys(schemaAt(root, error.schemaPath));
  return extra.map((key) => unknownKeyMessage(key, known));
}
