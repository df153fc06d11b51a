/**
 * `pocket-wit graph <workflow.yaml> [-o wf.html|wf.svg|wf.mmd]`: draw a workflow: its nodes,
 * connections and actions, start, retries, timeouts, nested flows as groups, and the problems
 * `flow --check` finds drawn on their nodes. Plugins are found and loaded as `flow` does
 * (for their node types, names and versions); nothing runs.
 */
import type { CAC } from 'cac';
import { existsSync, writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { PluginError, readWorkflow, stderrLogSink } from '../../host/src/index.js';
import { UsageError } from '../cli-support.js';
import { allProblems, buildGraphModel, type GraphModel } from '../report/graph-model.js';
import { renderGraphHtml } from '../report/graph-html.js';
import { renderGraphMermaid } from '../report/graph-mermaid.js';
import { renderGraphSvg } from '../report/graph-svg.js';
import { createStepReporter } from '../ui/steps.js';
import { loadWorkflowPlugins } from '../workflow-plugins.js';

interface GraphOptions {
  out?: string;
  plugins?: string | string[];
}

const FORMATS: Record<string, (model: GraphModel) => string> = {
  '.html': renderGraphHtml,
  '.svg': (model) => renderGraphSvg(model),
  '.mmd': renderGraphMermaid,
};

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

export function registerGraph(cli: CAC): void {
  cli
    .command('graph <workflow>', 'Draw a workflow: nodes, actions, start, retries, timeouts, nested flows, and the problems flow --check finds')
    .option('-o, --out <file>', 'Write the graph to a file; the extension picks the format: .html (a self-contained page), .svg or .mmd (Mermaid). Without it, Mermaid text on stdout')
    .option('--plugins <dir>', 'A directory of plugin .wasm files and/or plugin projects (must exist); repeatable; searched first, as for flow')
    .example('pocket-wit graph wf.yaml --plugins ./plugins')
    .example('pocket-wit graph wf.yaml -o wf.html')
    .example('pocket-wit graph wf.yaml -o wf.svg')
    .action(async (workflowPath: string, opts: GraphOptions) => {
      if (typeof opts.out === 'boolean' || opts.out === '') throw new UsageError('--out needs a file name ending in .html, .svg or .mmd');
      if (Array.isArray(opts.out)) throw new UsageError('--out is given more than once');
      const render = opts.out === undefined ? renderGraphMermaid : FORMATS[extname(opts.out).toLowerCase()];
      if (!render) throw new UsageError(`--out ${opts.out}: the format comes from the extension, one of .html, .svg or .mmd (Mermaid)`);
      if (!existsSync(workflowPath)) throw new PluginError('not-found', `no workflow file at ${workflowPath}`);
      const source = readWorkflow(workflowPath); // format problems first, before building or loading any plugin

      const explicit = ([] as string[]).concat(opts.plugins ?? []);
      const found = await loadWorkflowPlugins(explicit, createStepReporter(), stderrLogSink('warn'), (w) => process.stderr.write(`${w}\n`));
      let model: GraphModel;
      try {
        model = buildGraphModel(source, found.registry);
      } finally {
        await found.close();
      }
      const text = render(model);
      const problems = allProblems(model);
      if (opts.out === undefined) process.stdout.write(text);
      else {
        try {
          writeFileSync(opts.out, text);
        } catch (err) {
          throw new PluginError('not-found', `cannot write ${opts.out}: ${(err as Error).message}`);
        }
        process.stderr.write(`wrote ${opts.out}: ${plural(model.nodes.length, 'node')}, ${plural(model.edges.length, 'connection')}\n`);
      }
      if (problems.length > 0) {
        const errors = problems.filter((p) => p.problem.severity === 'error').length;
        process.stderr.write(`${plural(problems.length, 'problem')} drawn on the graph (${plural(errors, 'error')}, ${plural(problems.length - errors, 'warning')})\n`);
      }
    });
}
