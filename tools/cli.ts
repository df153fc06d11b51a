#!/usr/bin/env node
/**
 * The `pocket-wit` command line. Each command lives in `tools/commands/<name>.ts`; this file only
 * wires them into cac and turns errors into exit codes (1: the operation failed, 2: usage).
 */
import { readFileSync } from 'node:fs';
import { cac } from 'cac';
import { toolchainRoot } from '../host/src/wit-world.js';
import { reportError, SilentFailure, UsageError, verboseErrors } from './cli-support.js';
import { registerBuild } from './commands/build.js';
import { registerRun } from './commands/run.js';
import { registerFlow } from './commands/flow.js';
import { registerGraph } from './commands/graph.js';
import { registerCheck } from './commands/check.js';
import { registerTypes } from './commands/types.js';
import { registerInit } from './commands/init.js';
import { registerInstall } from './commands/install.js';
import { registerList } from './commands/list.js';
import { registerInfo } from './commands/info.js';
import { registerRemove } from './commands/remove.js';
import { registerValidate } from './commands/validate.js';
import { registerTest } from './commands/test.js';
import { registerPack } from './commands/pack.js';
import { registerWit } from './commands/wit.js';
import { registerStamp } from './commands/stamp.js';
import { registerWorker } from './commands/worker.js';
import { registerHelp } from './commands/help.js';
import { registerPublish } from './commands/publish.js';
import { registerSearch } from './commands/search.js';
import { registerOutdated } from './commands/outdated.js';
import { registerUpdate } from './commands/update.js';
import { registerStorage } from './commands/storage.js';

const { version } = JSON.parse(readFileSync(`${toolchainRoot()}/package.json`, 'utf8')) as { version: string };

/**
 * `pocket-wit wit --version 0.2.0` asks for a WIT version (the way other WIT tools spell it): for
 * `wit`, a `--version` followed by a version is `--wit-version`. Anywhere else, and alone,
 * `--version` is pocket-wit's own.
 */
export function witVersionAlias(argv: string[]): string[] {
  if (argv.slice(2).find((a) => !a.startsWith('-')) !== 'wit') return argv;
  return argv.flatMap((a, i) => {
    if (a === '--version' && /^v?\d/.test(argv[i + 1] ?? '')) return ['--wit-version'];
    if (a.startsWith('--version=')) return [`--wit-version=${a.slice('--version='.length)}`];
    return [a];
  });
}

export async function main(rawArgv: string[]): Promise<number> {
  const argv = witVersionAlias(rawArgv);
  const cli = cac('pocket-wit');
  registerBuild(cli);
  registerRun(cli);
  registerFlow(cli);
  registerGraph(cli);
  registerValidate(cli);
  registerTest(cli);
  registerPack(cli);
  registerStamp(cli);
  registerInstall(cli);
  registerPublish(cli);
  registerSearch(cli);
  registerOutdated(cli);
  registerUpdate(cli);
  registerList(cli);
  registerInfo(cli);
  registerRemove(cli);
  registerStorage(cli);
  registerCheck(cli);
  registerTypes(cli);
  registerWit(cli);
  registerInit(cli);
  registerWorker(cli);
  registerHelp(cli);
  cli.help();
  cli.version(version);
  const json = argv.includes('--json');
  try {
    cli.parse(argv, { run: false });
    if (cli.options.version && cli.matchedCommand && !cli.options.help) cli.outputVersion(); // cac prints it only without a command
    if (cli.options.help || cli.options.version) return 0;
    if (!cli.matchedCommand) {
      const name = cli.args[0];
      if (name === undefined) {
        cli.outputHelp();
        return 2;
      }
      throw new UsageError(`unknown command "${name}"`);
    }
    await cli.runMatchedCommand();
    return 0;
  } catch (err) {
    if (err instanceof SilentFailure) return 1;
    return reportError(err, json, verboseErrors(argv));
  }
}

process.exitCode = await main(process.argv);
