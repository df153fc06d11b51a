/** JMESPath (a safe query language: no eval) for the built-ins that read fields from JSON. */
import { compile, search } from '@jmespath-community/jmespath';

/** The compile error of an expression, or undefined when it is valid. */
export function expressionError(expression: string): string | undefined {
  try {
    compile(expression);
    return undefined;
  } catch (err) {
    return `invalid expression "${expression}": ${(err as Error).message}`;
  }
}

export function query(data: unknown, expression: string): unknown {
  return search(data as Parameters<typeof search>[0], expression) as unknown;
}

/** JMESPath truthiness: false for null, false, "", [], {}. */
export function truthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}
