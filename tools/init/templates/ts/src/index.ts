import { definePlugin, Type } from 'pocket-wit/guest';

export default definePlugin({
  nodes: [
    {
      type: '{{node}}',
      category: 'demo',
      description: 'Greets someone by name',
      config: Type.Object({ greeting: Type.String({ default: 'Hello' }) }),
      input: Type.Object({ name: Type.String({ minLength: 1 }) }),
      exec(input, ctx) {
        return { message: `${ctx.config.greeting}, ${input.name}!` };
      },
      post(input, _prep, output, ctx) {
        ctx.log.info('greeted', { name: input.name });
        return { output, next: 'default' };
      },
    },
  ],
});
