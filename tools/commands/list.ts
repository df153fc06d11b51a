/** `pocket-wit list [--json]`: the installed plugins as a table. */
import type { CAC } from 'cac';
import { resolve } from 'node:path';
import { listInstalled, pluginsDir, summarizePermissions } from '../../host/src/index.js';
import { table } from '../ui/table.js';

export function registerList(cli: CAC): void {
  cli
    .command('list', 'List installed plugins')
    .option('--dir <dir>', 'Plugin directory (default: $POCKET_HOME/plugins)')
    .option('--node <type>', 'Only the plugins that offer this node type')
    .option('--json', 'Print as JSON')
    .example('pocket-wit list --node sentiment')
    .action(async (opts: { dir?: string; json?: boolean; node?: string }) => {
      const dir = pluginsDir(opts.dir ? resolve(opts.dir) : undefined);
      const all = await listInstalled(dir);
      const plugins = opts.node ? all.filter((p) => p.nodes.some((n) => n.type === opts.node)) : all;
      if (opts.json) {
        const rows = plugins.map((p) => ({
          name: p.name,
          version: p.version,
          nodes: p.nodes.map((n) => n.type),
          permissions: p.permissions,
          summary: summarizePermissions(p.permissions),
          path: p.path,
          sha256: p.sha256,
          intact: p.intact,
          source: p.lock.source,
          ...(p.lock.registry ? { registry: p.lock.registry } : {}),
        }));
        process.stdout.write(`${JSON.stringify(rows)}\n`);
        return;
      }
      if (plugins.length === 0 && opts.node && all.length > 0) {
        process.stdout.write(`no installed plugin offers node type "${opts.node}" (${all.length} installed in ${dir})\n`);
        return;
      }
      if (plugins.length === 0) {
        process.stdout.write(`no plugins installed in ${dir}\ninstall one with: pocket-wit install <plugin dir|file.wasm|file.tgz>\n`);
        return;
      }
      const rows = plugins.map((p) => [p.name, p.version, p.nodes.map((n) => n.type).join(','), summarizePermissions(p.permissions), p.intact ? p.path : `${p.path} (MODIFIED since install)`]);
      process.stdout.write(table(['NAME', 'VERSION', 'NODES', 'PERMISSIONS', 'PATH'], rows));
    });
}
