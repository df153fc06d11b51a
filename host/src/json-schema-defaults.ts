/**
 * Applies the `default`s of a plain JSON Schema (as plugins publish them in their metadata) to a
 * value, at every depth: a missing property that declares a default gets it, and the defaults of
 * its own properties apply inside it too (a `style: { default: {}, properties: { … } }` is filled
 * in). typebox's `Value.Default` does this only for schemas built with typebox itself.
 */
type Schema = { type?: unknown; properties?: Record<string, Schema>; default?: unknown; items?: Schema };

export function applyJsonSchemaDefaults(schema: unknown, value: unknown): unknown {
  const s = schema as Schema | undefined;
  if (!s || typeof s !== 'object') return value;
  if (value === undefined && 'default' in s) value = structuredClone(s.default);
  if (s.properties && value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const [key, sub] of Object.entries(s.properties)) {
      const next = applyJsonSchemaDefaults(sub, out[key]);
      if (next !== undefined) out[key] = next;
    }
    return out;
  }
  if (s.items && typeof s.items === 'object' && Array.isArray(value)) return value.map((item) => applyJsonSchemaDefaults(s.items, item));
  return value;
}
