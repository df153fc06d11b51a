/** `echo` and `delay`: pass the input through. */
import { Type } from 'typebox';
import { PluginError } from '../../errors.js';
import { parseDuration } from '../../manifest.js';
import { defineBuiltin } from './define.js';

export const echo = defineBuiltin({
  type: 'echo',
  description: 'Passes its input through; optionally logs a message and routes by a fixed action',
  config: Type.Object({ message: Type.Optional(Type.String()), action: Type.Optional(Type.String()) }, { additionalProperties: false }),
  exec(input, config, ctx) {
    if (config.message) ctx.log({ level: 'info', message: config.message, plugin: 'pocket', node: ctx.node });
    return input;
  },
  actions: (config) => [config.action ?? 'default'],
  post: (_input, _prep, exec, config) => ({ output: exec, next: config.action ?? 'default' }),
});

export const delay = defineBuiltin({
  type: 'delay',
  description: 'Waits for a duration, then passes its input through',
  config: Type.Object({ duration: Type.String({ pattern: '^\\s*\\d+(\\.\\d+)?\\s*(ms|s|m)\\s*$' }) }, { additionalProperties: false }),
  async exec(input, config, ctx) {
    const ms = parseDuration(config.duration);
    await new Promise<void>((resolve, reject) => {
      if (ctx.signal.aborted) return reject(ctx.signal.reason as Error);
      const timer = setTimeout(resolve, ms);
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(ctx.signal.reason instanceof Error ? ctx.signal.reason : new PluginError('timeout', 'delay cancelled'));
      }, { once: true });
    });
    return input;
  },
});
