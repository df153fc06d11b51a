/** `pocket-wit run <plugin> <node-type> [--input JSON|@file] [--config JSON|@file] [--json]` */
import type { CAC } from 'cac';
import { grantForInstalled, loadPlugin, stderrLogSink, type LogLevel, type NodeDefinition } from '../../host/src/index.js';
import { resolve } from 'node:path';
import { describeGrant } from '../../host/src/sandbox/policy.js';
import { unlistedConfigKeys, unlistedConfigKeyWarning } from '../../host/src/node-schemas.js';
import { grantFromFlags, readJsonFlag, UsageError, type GrantFlags } from '../cli-support.js';
import { resolvePluginArg } from '../plugin-source.js';
import { createStepReporter } from '../ui/steps.js';

const LEVELS = ['debug', 'info', 'warn', 'error'];

export function registerRun(cli: CAC): void {
  cli
    .command('run <plugin> <node-type>', 'Run one node of a plugin: <plugin> is a path (.wasm, or a project directory built on demand), else an installed plugin\'s name, else a file or project here')
    .option('--dir <dir>', 'Plugin directory to look installed names up in (default: $POCKET_HOME/plugins)')
    .option('--input <json>', 'The node input: JSON text or @file.json')
    .option('--config <json>', 'The node config: JSON text or @file.json')
    .option('--store <json>', 'Initial shared store: a JSON object or @file.json')
    .option('--timeout <duration>', "Per-call time limit, e.g. 500ms; only lowers the plugin's own (permissions.timeout)")
    .option('--memory <size>', "Memory cap, e.g. 16MB; only lowers the plugin's own (permissions.memory)")
    .option('--deny-fs', 'Grant no directories, whatever permissions.filesystem asks (the plugin sees no files)')
    .option('--deny-net', 'Grant no network hosts, whatever permissions.network asks (every HTTP request is refused)')
    .option('--deny-env', 'Grant no environment variables, whatever permissions.env asks')
    .option('--deny-storage', 'Grant no storage, whatever permissions.storage asks (every bucket is refused)')
    .option('--deny-all', 'All four: --deny-fs --deny-net --deny-env --deny-storage')
    .option('--log-level <level>', 'Plugin log lines shown on stderr: debug | info | warn | error', { default: 'warn' })
    .option('--json', 'Print {"output": ..., "next": ...} (or {"error": ...}) as JSON on stdout')
    .option('--verbose', "On a plugin error, also print the plugin's own stack (where its engine gives one)")
    .example(`pocket-wit run ./my-plugin my-node --input '{"text":"This is amazing!"}' --json`)
    .example(`pocket-wit run my-plugin my-node --input @input.json --log-level debug`)
    .action(async (pluginArg: string, nodeType: string, opts: GrantFlags & { input?: string; config?: string; store?: string; logLevel: string; json?: boolean; dir?: string }) => {
      if (!LEVELS.includes(opts.logLevel)) throw new UsageError(`--log-level must be one of ${LEVELS.join(', ')}`);
      const input = readJsonFlag('input', opts.input);
      const config = readJsonFlag('config', opts.config);
      if (config !== undefined && (config === null || typeof config !== 'object' || Array.isArray(config))) {
        throw new UsageError('--config must be a JSON object, for example --config \'{"threshold":0.5}\'');
      }
      const storeValue = readJsonFlag('store', opts.store);
      if (storeValue !== undefined && (storeValue === null || typeof storeValue !== 'object' || Array.isArray(storeValue))) {
        throw new UsageError('--store must be a JSON object of key/value pairs');
      }
      const grant = grantFromFlags(opts);
      const { file } = await resolvePluginArg(pluginArg, createStepReporter(), opts.dir ? { dir: opts.dir } : {});
      // An installed plugin (in a lock-managed plugin directory) is integrity-checked and gets at most
      // what was consented to at install, as in `flow`.
      const permissions = await grantForInstalled(resolve(file), grant);
      const plugin = await loadPlugin(file, { log: stderrLogSink(opts.logLevel as LogLevel), ...(permissions ? { permissions } : {}) });
      const granted = plugin.permissions && describeGrant(plugin.permissions);
      if (granted) process.stderr.write(`grant ${plugin.name}: ${granted}\n`);
      // A --config key the node's schema neither lists nor refuses: likely a typo (as `flow` warns).
      for (const k of unlistedConfigKeys(plugin.node(nodeType)?.configSchema, config)) process.stderr.write(`warning: ${unlistedConfigKeyWarning(nodeType, nodeType, k)}\n`);
      const store = new Map(Object.entries((storeValue as Record<string, unknown> | undefined) ?? {}));
      let result;
      try {
        if (input === undefined) refuseMissingInput(plugin.node(nodeType), nodeType);
        result = await plugin.runNode(nodeType, {
          input,
          ...(config ? { config: config as Record<string, unknown> } : {}),
          store,
        });
      } finally {
        await plugin.close();
      }
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ output: result.output, next: result.next })}\n`);
      } else {
        process.stdout.write(`output: ${JSON.stringify(result.output, null, 2)}\nnext: ${result.next}\n`);
        if (store.size > 0) process.stdout.write(`store: ${JSON.stringify(Object.fromEntries(store), null, 2)}\n`);
      }
    });
}

/**
 * `run` without `--input` of a node whose input schema asks for an object: say that it needs an
 * input and how to give one (with the schema's required fields), instead of `input: must be object`.
 */
function refuseMissingInput(node: NodeDefinition | undefined, nodeType: string): void {
  const schema = node?.inputSchema;
  if (!schema || schema.type !== 'object') return;
  const required = Array.isArray(schema.required) ? schema.required.filter((f): f is string => typeof f === 'string') : [];
  const props = (schema.properties ?? {}) as Record<string, { type?: unknown }>;
  const placeholder = (field: string): string => {
    const type = props[field]?.type;
    return type === 'number' || type === 'integer' ? '0' : type === 'boolean' ? 'false' : type === 'array' ? '[]' : type === 'object' ? '{}' : '"…"';
  };
  const example = `{${required.map((f) => `${JSON.stringify(f)}:${placeholder(f)}`).join(',')}}`;
  const fields = required.length ? ` (its input schema requires ${required.join(', ')})` : '';
  throw new UsageError(`node "${nodeType}" needs an input${fields}: pass --input '${example === '{}' ? '{...}' : example}' or --input @input.json`);
}
