import { definePlugin, Type } from 'pocket-wit/guest';

export default definePlugin({
  nodes: [
    {
      type: 'count',
      category: 'storage',
      description: 'Add one to a named counter (kept across runs and processes) and return its value',
      config: Type.Object({ counter: Type.String({ default: 'calls', description: 'Which counter to add one to' }) }),
      input: Type.Unknown(),
      output: Type.Object({ counter: Type.String(), count: Type.Number() }),
      // One atomic increment per call: exact across calls, worker threads and processes.
      exec: (_input, ctx) => ({ counter: ctx.config.counter, count: ctx.kv.increment(ctx.config.counter) }),
    },
    {
      type: 'remember',
      category: 'storage',
      description: 'Say whether an item was seen before (in any earlier run), then remember it',
      input: Type.Object({ item: Type.String({ description: 'What to remember' }) }),
      output: Type.Object({ item: Type.String(), seenBefore: Type.Boolean(), remembered: Type.Number() }),
      exec: ({ item }, ctx) => {
        const seen = ctx.kv.bucket('seen');
        const before = seen.get<{ first: string }>(item);
        if (!before) seen.set(item, { first: new Date().toISOString() });
        return { item, seenBefore: before !== undefined, remembered: seen.keys().length };
      },
    },
  ],
});
