/**
 * `pocket-wit help [command]`: the same text as `pocket-wit --help` (no command) or
 * `pocket-wit <command> --help`.
 */
import type { CAC } from 'cac';
import { didYouMean } from '../../host/src/did-you-mean.js';
import { UsageError } from '../cli-support.js';

export function registerHelp(cli: CAC): void {
  cli
    .command('help [command]', 'Show the help of a command (the same as `pocket-wit <command> --help`), or the list of commands')
    .example('pocket-wit help run')
    .action((name: string | undefined) => {
      if (name === undefined) {
        cli.globalCommand.outputHelp();
        return;
      }
      const command = cli.commands.find((c) => c.isMatched(name));
      if (!command) {
        const names = cli.commands.map((c) => c.name);
        throw new UsageError(`unknown command "${name}"${didYouMean(name, names)}: the commands are ${names.join(', ')}`);
      }
      command.outputHelp();
    });
}
