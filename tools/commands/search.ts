/** `pocket-wit search <words...> [--registry URL] [--json]`: plugins on the registry (packages with the keyword pocket-plugin). */
import type { CAC } from 'cac';
import { searchRegistry } from '../registry/npm-client.js';
import { npmConfig } from '../registry/npm-config.js';
import { PLUGIN_KEYWORD } from '../registry/npm-package.js';
import { table } from '../ui/table.js';

export function registerSearch(cli: CAC): void {
  cli
    .command('search [...words]', `Search the npm registry for plugins (packages with the keyword ${PLUGIN_KEYWORD})`)
    .option('--registry <url>', 'Registry to search (default: from .npmrc, else registry.npmjs.org)')
    .option('--limit <n>', 'At most this many results (default 20)')
    .option('--json', 'Print [{"name","version","description","keywords"}] as JSON')
    .example('pocket-wit search sentiment')
    .action(async (words: string[], opts: { registry?: string; limit?: string; json?: boolean }) => {
      const config = npmConfig(opts.registry ? { registry: opts.registry } : {});
      const limit = opts.limit === undefined ? 20 : Number(opts.limit);
      const hits = await searchRegistry(words, PLUGIN_KEYWORD, config, Number.isInteger(limit) && limit > 0 ? limit : 20);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(hits)}\n`);
        return;
      }
      if (hits.length === 0) {
        process.stdout.write(`no plugins found on ${config.registry}${words.length ? ` for "${words.join(' ')}"` : ''}\n`);
        return;
      }
      process.stdout.write(table(['NAME', 'VERSION', 'DESCRIPTION'], hits.map((h) => [h.name, h.version, h.description])));
      process.stdout.write(`install one with: pocket-wit install npm:<name>\n`);
    });
}
