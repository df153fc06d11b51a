/**
 * The shared store before and after a run, as HTML: each side as JSON, one key per entry, the
 * keys the run added, changed or removed marked (a class, a visible word, and a summary list).
 * Long values are cut so that a report stays small.
 */
import { escapeHtml } from './html-page.js';

/** Longest JSON text shown for one value; the rest is cut with a note. */
const MAX_VALUE_CHARS = 4000;

export type KeyChange = 'added' | 'changed' | 'removed';

/** Every key whose value differs between the two stores (compared as JSON), in order: after's keys, then removed ones. */
export function storeChanges(before: Record<string, unknown>, after: Record<string, unknown>): Map<string, KeyChange> {
  const changes = new Map<string, KeyChange>();
  for (const key of Object.keys(after)) {
    if (!Object.hasOwn(before, key)) changes.set(key, 'added');
    else if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) changes.set(key, 'changed');
  }
  for (const key of Object.keys(before)) if (!Object.hasOwn(after, key)) changes.set(key, 'removed');
  return changes;
}

function valueJson(value: unknown): string {
  const text = JSON.stringify(value, null, 2) ?? 'null';
  if (text.length <= MAX_VALUE_CHARS) return text;
  return `${text.slice(0, MAX_VALUE_CHARS)}… (${text.length - MAX_VALUE_CHARS} more characters)`;
}

/** One store as JSON text, an entry per line group; changed keys marked. */
function storeJsonHtml(store: Record<string, unknown>, changes: Map<string, KeyChange>, side: 'before' | 'after'): string {
  const keys = Object.keys(store);
  if (keys.length === 0) return '<pre class="store-json"><code>{}</code></pre>';
  const entries = keys.map((key, i) => {
    const change = changes.get(key);
    const text = `  ${JSON.stringify(key)}: ${valueJson(store[key]).split('\n').join('\n  ')}${i < keys.length - 1 ? ',' : ''}`;
    if (!change) return `<span class="entry">${escapeHtml(text)}</span>`;
    return `<span class="entry ${change}" data-key="${escapeHtml(key)}" data-change="${change}">${escapeHtml(text)}<span class="change-note"> // ${change}</span></span>`;
  });
  return `<pre class="store-json" data-side="${side}"><code>{\n${entries.join('\n')}\n}</code></pre>`;
}

export const STORE_STYLE = `
.stores { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
.stores h3 { margin: .2rem 0; font-size: 14px; }
.store-json { background: #f8fafc; border: 1px solid #e2e8f0; border-radius: 6px; padding: .6rem .8rem; font-size: 12px; overflow: auto; max-height: 32rem; margin: 0; }
.store-json .entry { display: inline-block; min-width: 100%; }
.store-json .added { background: #dcfce7; }
.store-json .changed { background: #fef9c3; }
.store-json .removed { background: #fee2e2; }
.store-json .change-note { color: #64748b; font-style: italic; }
.store-changes { font-size: 13px; }
`;

/** The store before and after, side by side, with a list of what changed. */
export function storeDiffHtml(before: Record<string, unknown>, after: Record<string, unknown>): string {
  const changes = storeChanges(before, after);
  const list = changes.size
    ? `<ul class="store-changes">${[...changes].map(([key, change]) => `<li data-key="${escapeHtml(key)}" data-change="${change}"><code>${escapeHtml(JSON.stringify(key))}</code> ${change}</li>`).join('')}</ul>`
    : '<p class="store-changes">The run changed no key.</p>';
  return [
    list,
    '<div class="stores">',
    `<div><h3>Before</h3>${storeJsonHtml(before, changes, 'before')}</div>`,
    `<div><h3>After</h3>${storeJsonHtml(after, changes, 'after')}</div>`,
    '</div>',
  ].join('\n');
}
