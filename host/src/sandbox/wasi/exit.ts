/** `wasi:cli/exit` never ends the process: it throws this, and the worker turns it into a plugin error. */
export class WasiExit extends Error {
  constructor(readonly status: number) {
    super(`the plugin called exit with status ${status}`);
    this.name = 'WasiExit';
  }
}
