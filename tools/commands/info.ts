/**
 * `pocket-wit info <name|path> [--json]`: everything about one plugin, without running it; a
 * component another toolchain built (no `pocket-wit:plugin` section) is described by its
 * `metadata()`, called in a sandboxed worker with nothing granted, once per sha256.
 */
import type { CAC } from 'cac';
import { resolve } from 'node:path';
import { describeComponent, listInstalled, pluginsDir, summarizePermissions, type JsonSchema, type PermissionsDecl } from '../../host/src/index.js';
import { resolvePluginArg } from '../plugin-source.js';
import { createStepReporter } from '../ui/steps.js';
import { formatSize } from '../ui/format.js';
import { DEFAULT_STORAGE_QUOTA } from '../../host/src/manifest.js';

/** One line per permission, readable. */
export function formatPermissions(p: PermissionsDecl, indent = '  '): string {
  const lines = [
    `memory: ${p.memory ?? '64MB (default)'}`,
    `timeout: ${p.timeout ?? '5s (default)'}`,
    `env: ${p.env?.length ? p.env.join(', ') : 'none'}`,
    `filesystem: ${p.filesystem?.length ? p.filesystem.map((f) => (f.endsWith(':rw') ? `${f.slice(0, -3)} (read-write)` : `${f} (read-only)`)).join(', ') : 'none'}`,
    `network: ${p.network?.length ? p.network.join(', ') : 'none'}`,
    `storage: ${p.storage ? `buckets ${p.storage.buckets.join(', ')}, quota ${p.storage.quota ?? `${DEFAULT_STORAGE_QUOTA} (default)`} (kept across runs)` : 'none'}`,
  ];
  return lines.map((l) => `${indent}${l}\n`).join('');
}

/** A JSON Schema as indented `field: type (default …) — description` lines. */
export function formatSchema(schema: JsonSchema | undefined, indent = '    '): string {
  if (!schema) return `${indent}(any)\n`;
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  if (Object.keys(props).length === 0) return `${indent}${String(schema.type ?? 'any')}\n`;
  return Object.entries(props)
    .map(([key, s]) => {
      const type = s.type ?? (s.anyOf ? (s.anyOf as JsonSchema[]).map((x) => x.const ?? x.type).join(' | ') : 'any');
      const items = s.type === 'array' && s.items ? `<${String((s.items as JsonSchema).type ?? 'any')}>` : '';
      const def = 'default' in s ? ` = ${JSON.stringify(s.default)}` : '';
      const opt = required.has(key) && !('default' in s) ? '' : '?';
      const desc = s.description ? ` — ${String(s.description)}` : '';
      return `${indent}${key}${opt}: ${String(type)}${items}${def}${desc}\n`;
    })
    .join('');
}

export function registerInfo(cli: CAC): void {
  cli
    .command('info <plugin>', 'Show a plugin: nodes with their schemas and examples, permissions, world, size, sha256, origin; <plugin> is a path (.wasm or project directory), else an installed name, else a file or project here')
    .option('--dir <dir>', 'Plugin directory to look names up in (default: $POCKET_HOME/plugins)')
    .option('--json', 'Print as JSON')
    .example('pocket-wit info my-plugin')
    .example('pocket-wit info ./my-plugin/dist/my-plugin.wasm --json')
    .action(async (arg: string, opts: { dir?: string; json?: boolean }) => {
      const dir = pluginsDir(opts.dir ? resolve(opts.dir) : undefined);
      // The one rule for a <plugin> argument (plugin-source.ts): a path, else an installed name, else something here.
      const resolved = await resolvePluginArg(arg, createStepReporter(), { dir });
      const file = resolved.file;
      const lock = resolved.installed ? (await listInstalled(dir)).find((p) => p.name === arg)?.lock : undefined;
      const origin = resolved.installed ? (lock?.source ?? 'unknown') : resolve(arg);
      const registry = lock?.registry;
      const d = await describeComponent(file);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ ...d, origin, ...(registry ? { registry } : {}) })}\n`);
        return;
      }
      const out: string[] = [];
      out.push(`${d.name} ${d.version}${d.description ? ` — ${d.description}` : ''}\n`);
      if (d.author || d.license) out.push(`  author: ${d.author ?? '-'}   license: ${d.license ?? '-'}\n`);
      out.push(`  world: ${d.world}   engine: ${d.engine}   size: ${formatSize(d.size)}\n  sha256: ${d.sha256}\n  file: ${d.path}\n  from: ${origin}\n`);
      if (registry) out.push(`  registry: ${registry.registry} (package ${registry.package}, updates within ${registry.range}, integrity ${registry.integrity.slice(0, 19)}…)\n`);
      if (d.describedBy === 'metadata') out.push(`  described by: its metadata() (no pocket-wit:plugin section: another toolchain built it; run in the sandbox with nothing granted)\n`);
      out.push(`permissions (${summarizePermissions(d.permissions)}):\n${formatPermissions(d.permissions)}`);
      for (const n of d.nodes) {
        out.push(`node ${n.type} (${n.category}): ${n.description}\n`);
        out.push(`  config:\n${formatSchema(n.configSchema)}  input:\n${formatSchema(n.inputSchema)}  output:\n${formatSchema(n.outputSchema)}`);
        for (const e of n.examples) {
          out.push(`  example ${e.name}${e.description ? ` — ${e.description}` : ''}\n    input: ${JSON.stringify(e.input)}\n`);
          if (e.config !== undefined) out.push(`    config: ${JSON.stringify(e.config)}\n`);
          if (e.output !== undefined) out.push(`    output: ${JSON.stringify(e.output)}\n`);
        }
      }
      process.stdout.write(out.join(''));
    });
}
