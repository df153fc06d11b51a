/** `pocket-wit validate <dir|file> [--json]`: every problem with what to fix; exit 1 on any. */
import type { CAC } from 'cac';
import { PluginError } from '../../host/src/index.js';
import { locatePluginArg } from '../plugin-source.js';
import { createStepReporter } from '../ui/steps.js';
import { validatePlugin } from '../validate-plugin.js';

export function registerValidate(cli: CAC): void {
  cli
    .command('validate <plugin>', 'Check a plugin project or component: structure, manifest, world, metadata, examples; <plugin> is a path (.wasm or project directory), else an installed name, else a file or project here')
    .option('--dir <dir>', 'Plugin directory to look installed names up in (default: $POCKET_HOME/plugins)')
    .option('--json', 'Print the report as JSON')
    .example('pocket-wit validate ./my-plugin')
    .action(async (target: string, opts: { json?: boolean; dir?: string }) => {
      // The one rule for a <plugin> argument (plugin-source.ts); a project is built for the check.
      const located = await locatePluginArg(target, { say: (line) => void process.stderr.write(`${line}\n`), ...(opts.dir ? { dir: opts.dir } : {}) });
      const report = await validatePlugin(located.kind === 'installed' ? located.file : located.path, createStepReporter());
      if (report.component === 'up-to-date' && report.file) process.stderr.write(`checking ${report.file}: up to date with its sources, not rebuilt\n`);
      const examples = report.probe?.examples ?? [];
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ valid: report.problems.length === 0, section: report.description ? report.description.describedBy === 'section' : undefined, problems: report.problems, examples: examples.map((e) => ({ node: e.node, example: e.example, status: e.status })) })}\n`);
      } else if (report.problems.length === 0) {
        const m = report.probe!.metadata;
        process.stdout.write(`ok: ${m.name} ${m.version} is valid (${m.nodes.length} node${m.nodes.length === 1 ? '' : 's'}, ${examples.length} example${examples.length === 1 ? '' : 's'} checked)\n`);
        if (report.description?.describedBy === 'metadata') {
          process.stdout.write(`note: it has no pocket-wit:plugin section (another toolchain built it), so tools learn it by calling its metadata() in the sandbox; \`pocket-wit stamp\` adds the section\n`);
        }
      } else {
        for (const p of report.problems) process.stdout.write(`problem [${p.check}]: ${p.message}\n  fix: ${p.fix}\n`);
      }
      if (report.problems.length > 0) {
        throw new PluginError('invalid-plugin', `${target}: ${report.problems.length} problem${report.problems.length === 1 ? '' : 's'} found`);
      }
    });
}
