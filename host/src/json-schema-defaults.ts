/**
 * Applies the `default`s of a plain JSON Schema (as plugins publish them in their metadata) to a
 * value, at every depth: a missing property that declares a default gets it, and the defaults of
 * its own properties apply inside it too (a `style: { default: {}, properties: { … } }` is filled
 * in). typebox's `Value.Default` does this only for schemas built with typebox itself.
 *
 * Copy on write: the value itself is never changed, and it is returned as it is (the same
 * reference) when no default applies anywhere in it.
 */
type Schema = { type?: unknown; properties?: Record<string, Schema>; default?: unknown; items?: Schema };

export function applyJsonSchemaDefaults(schema: unknown, value: unknown): unknown {
  const s = schema as Schema | undefined;
  if (!s || typeof s !== 'object') return value;
  if (value === undefined && 'default' in s) value = structuredClone(s.default);
  if (s.properties && value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    let out: Record<string, unknown> | undefined;
    for (const key in s.properties) {
      const current = obj[key];
      const next = applyJsonSchemaDefaults(s.properties[key], current);
      if (next !== current && next !== undefined) (out ??= { ...obj })[key] = next;
    }
    return out ?? value;
  }
  if (s.items && typeof s.items === 'object' && Array.isArray(value)) {
    let out: unknown[] | undefined;
    value.forEach((item, i) => {
      const next = applyJsonSchemaDefaults(s.items, item);
      if (next !== item) (out ??= [...value])[i] = next;
    });
    return out ?? value;
  }
  return value;
}
