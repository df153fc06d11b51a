/**
 * `pocket-wit publish [dir] [--registry URL] [--scope @acme] [--tag T] [--access public|restricted]
 * [--provenance] [--dry-run] [--json]`: build (when stale), validate (manifest, world, metadata
 * and examples, in the sandbox), pack the plugin as an npm package (the `pack` archive plus a
 * package.json: keyword `pocket-plugin`, the WIT world in its `pocket` field) and publish it with
 * libnpmpublish, which honours `.npmrc` (registry, scopes, tokens) and provenance.
 */
import type { CAC } from 'cac';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PluginError } from '../../host/src/index.js';
import { readProject } from '../build/project.js';
import { packPlugin } from '../plugin-package.js';
import { requireProjectArg } from '../plugin-source.js';
import { publishPackage } from '../registry/npm-client.js';
import { npmConfig, registryFor } from '../registry/npm-config.js';
import { pluginPackageJson } from '../registry/npm-package.js';
import { createStepReporter } from '../ui/steps.js';
import { validatePlugin } from '../validate-plugin.js';

interface PublishOptions {
  registry?: string;
  scope?: string;
  tag?: string;
  access?: string;
  provenance?: boolean;
  dryRun?: boolean;
  json?: boolean;
}

export function registerPublish(cli: CAC): void {
  cli
    .command('publish [dir]', 'Build, validate and publish a plugin project as an npm package (keyword pocket-plugin) to the registry .npmrc names')
    .option('--registry <url>', 'Registry to publish to (default: from .npmrc, else registry.npmjs.org)')
    .option('--scope <scope>', 'Publish as @scope/<name> (the plugin keeps its name)')
    .option('--tag <tag>', 'dist-tag to publish under (default: latest)')
    .option('--access <access>', 'public or restricted (scoped packages)')
    .option('--provenance', 'Publish with a provenance statement (from a supported CI)')
    .option('--dry-run', 'Build, validate and pack, but do not publish')
    .option('--json', 'Print {"name","version","registry","tag","size","files","published","project"} as JSON')
    .example('pocket-wit publish ./word-stats --registry http://localhost:4873/')
    .example('pocket-wit publish --scope @acme --access restricted')
    .action(async (dir: string | undefined, opts: PublishOptions) => {
      const project = dir ?? '.';
      if (dir !== undefined) requireProjectArg(dir, 'publish');
      if (opts.access && opts.access !== 'public' && opts.access !== 'restricted') throw new PluginError('invalid-input', `--access is public or restricted, not "${opts.access}"`);
      const { manifest } = readProject(project);
      const config = npmConfig({ project, ...(opts.registry ? { registry: opts.registry } : {}) });
      const steps = createStepReporter();
      // Nothing reaches the registry that `validate` would refuse (examples run in the sandbox).
      const report = await validatePlugin(project, steps);
      if (report.problems.length > 0) {
        throw new PluginError('invalid-plugin', `${manifest.name} ${manifest.version} was not published: ${report.problems.length} problem${report.problems.length === 1 ? '' : 's'} found\n${report.problems.map((p) => `  - [${p.check}] ${p.message} (fix: ${p.fix})`).join('\n')}`, {
          details: { problems: report.problems },
        });
      }
      const stage = mkdtempSync(join(tmpdir(), 'pocket-wit-publish-'));
      try {
        let pkg: Record<string, unknown> = {};
        const { file } = await packPlugin(project, steps, {
          out: join(stage, 'package.tgz'),
          packageJson: async (m, component, entries) => (pkg = await pluginPackageJson(m, component, entries, opts.scope)),
        });
        const tarball = readFileSync(file);
        const name = String(pkg.name);
        const registry = registryFor(name, config);
        if (!opts.dryRun) {
          await steps.step(`publishing ${name}@${manifest.version} to ${registry}`, () =>
            publishPackage({ manifest: pkg, tarball, ...(opts.tag ? { tag: opts.tag } : {}), ...(opts.access ? { access: opts.access as 'public' | 'restricted' } : {}), ...(opts.provenance ? { provenance: true } : {}) }, config),
          );
        }
        const summary = { name, version: manifest.version, registry, tag: opts.tag ?? 'latest', size: tarball.length, files: pkg.files, published: !opts.dryRun, project: resolve(project) };
        if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
        else if (opts.dryRun) process.stdout.write(`dry run: ${name}@${manifest.version} (${tarball.length} bytes) would be published to ${registry} as ${summary.tag}\n`);
        else process.stdout.write(`published ${name}@${manifest.version} to ${registry} (${summary.tag})\ninstall it with: pocket-wit install npm:${name}@^${manifest.version}\n`);
      } finally {
        rmSync(stage, { recursive: true, force: true });
      }
    });
}
