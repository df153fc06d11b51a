/** `pocket-wit test <dir>`: build the plugin and run the examples its nodes declare, as tests. */
import type { CAC } from 'cac';
import { PluginError, probePlugin } from '../../host/src/index.js';
import { failureCodes } from '../cli-support.js';
import { resolvePluginArg } from '../plugin-source.js';
import { colors as pc } from '../ui/colors.js';
import { createStepReporter } from '../ui/steps.js';

export function registerTest(cli: CAC): void {
  cli
    .command('test [plugin]', 'Build a plugin and run the examples declared in its metadata as tests; [plugin] is a path (.wasm or project directory, default .), else an installed name, else a file or project here')
    .option('--dir <dir>', 'Plugin directory to look installed names up in (default: $POCKET_HOME/plugins)')
    .option('--json', 'Print the results as JSON')
    .example('pocket-wit test ./my-plugin')
    .action(async (dir: string | undefined, opts: { json?: boolean; dir?: string }) => {
      const steps = createStepReporter();
      const { file } = await resolvePluginArg(dir ?? '.', steps, opts.dir ? { dir: opts.dir } : {});
      const { metadata, examples } = await probePlugin({ file, runExamples: true });
      const passed = examples.filter((e) => e.status !== 'fail').length;
      const failed = examples.length - passed;
      if (opts.json) process.stdout.write(`${JSON.stringify({ plugin: metadata.name, passed, failed, examples })}\n`);
      else {
        for (const e of examples) {
          const mark = e.status === 'fail' ? pc.red('✗') : pc.green('✓');
          process.stdout.write(`${mark} ${e.node} › ${e.example} (${e.ms.toFixed(1)} ms)${e.status === 'ran' ? ' (no declared output)' : ''}\n`);
          if (e.status === 'fail') {
            if (e.error) process.stdout.write(`    error[${e.error.code}]: ${e.error.message}\n`);
            else process.stdout.write(`    expected: ${JSON.stringify(e.expected)}\n    actual:   ${JSON.stringify(e.actual)}\n`);
          }
        }
        process.stdout.write(`${metadata.name}: ${passed} passed, ${failed} failed\n`);
      }
      if (examples.length === 0) throw new PluginError('not-found', `${metadata.name} declares no examples; add examples to its nodes (definePlugin or manifest.yaml) to test them`);
      if (failed > 0) {
        // Reported with the failures' own code when they share one; a wrong output is `plugin-error`.
        const byCode = new Map<string, number>();
        for (const e of examples) if (e.status === 'fail') byCode.set(e.error?.code ?? 'plugin-error', (byCode.get(e.error?.code ?? 'plugin-error') ?? 0) + 1);
        const { code, breakdown } = failureCodes(byCode, failed);
        throw new PluginError(code, `${failed} example${failed === 1 ? '' : 's'} failed${breakdown}`);
      }
    });
}
