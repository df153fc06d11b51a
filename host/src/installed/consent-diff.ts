/**
 * What a new version of an installed plugin asks for beyond what the user consented to, field by
 * field: more memory, a longer timeout, new environment names, directories or hosts, storage
 * buckets or a larger storage quota. An update
 * that asks for more needs consent again (like a browser extension's), and the difference is
 * what the prompt shows. Asking for less never needs consent.
 */
import { parseDuration, parseSize } from '../manifest.js';
import type { ConsentedPermissions } from './lockfile.js';

export interface PermissionGrowth {
  field: keyof ConsentedPermissions;
  /** What was consented to (a size or duration; for lists, the list). */
  from: string;
  /** What the new version asks for. */
  to: string;
  /** List fields: the entries that are new. */
  added?: string[];
}

function addedTo(field: 'env' | 'filesystem' | 'network', before: ConsentedPermissions, after: ConsentedPermissions): PermissionGrowth | undefined {
  const had = new Set(before[field]);
  const added = after[field].filter((x) => !had.has(x));
  if (added.length === 0) return undefined;
  return { field, from: before[field].join(', ') || 'none', to: after[field].join(', '), added };
}

/** Every way `after` asks for more than `before`; empty when it asks for the same or less. */
export function permissionGrowth(before: ConsentedPermissions, after: ConsentedPermissions): PermissionGrowth[] {
  const out: PermissionGrowth[] = [];
  if (parseSize(after.memory) > parseSize(before.memory)) out.push({ field: 'memory', from: before.memory, to: after.memory });
  if (parseDuration(after.timeout) > parseDuration(before.timeout)) out.push({ field: 'timeout', from: before.timeout, to: after.timeout });
  for (const field of ['env', 'filesystem', 'network'] as const) {
    const g = addedTo(field, before, after);
    if (g) out.push(g);
  }
  // Storage: any at all where there was none, a new bucket, or a larger quota.
  if (after.storage) {
    const had = before.storage;
    const added = after.storage.buckets.filter((b) => !had?.buckets.includes(b));
    if (added.length > 0) out.push({ field: 'storage', from: had ? had.buckets.join(', ') : 'none', to: after.storage.buckets.join(', '), added });
    if (had && parseSize(after.storage.quota) > parseSize(had.quota)) out.push({ field: 'storage', from: `quota ${had.quota}`, to: `quota ${after.storage.quota}` });
    else if (!had) out.push({ field: 'storage', from: 'no storage', to: `quota ${after.storage.quota}` });
  }
  return out;
}

/** One line per growth, for the consent prompt: `network: + api.example.com (had: none)`. */
export function describeGrowth(growth: readonly PermissionGrowth[], indent = '  '): string {
  return growth
    .map((g) => (g.added ? `${indent}${g.field}: + ${g.added.join(', ')} (had: ${g.from})` : `${indent}${g.field}: ${g.from} → ${g.to}`))
    .join('\n');
}
