/**
 * The host with real components: the kitchen-sink fixture is built with each JS engine and run
 * through loadPlugin. Covers metadata, each phase, defaults and validation, the store, logging,
 * the clock, error mapping, and the transpile cache.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadPlugin, silentLogSink, type Plugin } from '../host/src/index.js';
import { built, CACHE_DIR, ENGINES, recordingSink, expectError } from './helpers.js';


for (const engine of ENGINES) {
  const t = suite<{ plugin: Plugin }>(`host (${engine})`);

  t.before(async (ctx) => {
    ctx.plugin = await loadPlugin(await built('test/fixtures/kitchen-sink', engine), { cacheDir: CACHE_DIR, log: silentLogSink });
  });
  t.after(async (ctx) => ctx.plugin?.close());

  t('metadata: manifest identity, permissions, nodes with schemas and examples', ({ plugin }) => {
    const m = plugin.metadata;
    assert.is(m.name, 'kitchen-sink');
    assert.is(m.version, '0.3.1');
    assert.is(m.author, 'pocket-wit tests');
    assert.is(m.world, 'pocket:plugin@0.2.1');
    assert.equal(m.permissions, { memory: '32MB', timeout: '2s', env: ['GREETING'] });
    assert.equal(plugin.nodeTypes, ['identity', 'greet', 'phases', 'fail', 'clock', 'store', 'misuse', 'flaky', 'spin', 'patient']);
    const greet = plugin.node('greet')!;
    assert.is(greet.category, 'test');
    assert.equal((greet.configSchema as { properties: Record<string, unknown> }).properties.greeting, { type: 'string', default: 'Hello' });
    assert.equal(greet.inputSchema?.required, ['name', 'times']);
    assert.equal(greet.examples, [{ name: 'ada', description: '', input: { name: 'Ada' }, output: { message: 'Hello, Ada!' } }]);
    assert.is(plugin.node('identity')!.configSchema, undefined);
    assert.is(plugin.source.engine, engine);
    assert.is(plugin.source.worldVersion, '0.2.1');
    assert.match(plugin.source.sha256, /^[0-9a-f]{64}$/);
  });

  t('default prep and post: the output is exec of the input, next is default', async ({ plugin }) => {
    assert.equal(await plugin.runNode('identity', { input: { a: [1, 'two', null] } }), { output: { a: [1, 'two', null] }, next: 'default' });
    assert.equal(await plugin.runNode('identity', { input: 'just a string' }), { output: 'just a string', next: 'default' });
    assert.equal(await plugin.runNode('identity', {}), { output: null, next: 'default' });
  });

  t('each phase receives what the previous one returned; an empty action means default', async ({ plugin }) => {
    const result = await plugin.runNode('phases', { input: { x: 1 } });
    assert.equal(result, {
      output: {
        input: { x: 1 },
        prep: { prepSaw: { x: 1 }, nodeType: 'phases' },
        exec: { execSaw: { prepSaw: { x: 1 }, nodeType: 'phases' } },
      },
      next: 'default',
    });
    assert.equal(await plugin.prep('phases', 7), { prepSaw: 7, nodeType: 'phases' });
    assert.equal(await plugin.exec('phases', 'p'), { execSaw: 'p' });
    assert.equal(await plugin.post('phases', 1, 2, 3), { output: { input: 1, prep: 2, exec: 3 }, next: 'default' });
  });

  t('config defaults are applied and the config is validated', async ({ plugin }) => {
    assert.equal((await plugin.runNode('greet', { input: { name: 'Ada' } })).output, { message: 'Hello, Ada!' });
    assert.equal((await plugin.runNode('greet', { input: { name: 'Ada', times: 2 }, config: { greeting: 'Hi', excited: true } })).output, {
      message: 'Hi, Ada!!!Hi, Ada!!!',
    });
    await expectError(plugin.runNode('greet', { input: { name: 'Ada' }, config: { greeting: 5 } }), 'invalid-input', /config\.greeting/);
  });

  t('input is validated with the field named', async ({ plugin }) => {
    const missing = await expectError(plugin.runNode('greet', { input: {} }), 'invalid-input', /input: missing required field name/);
    assert.equal((missing.details as { field: string }).field, 'input');
    await expectError(plugin.runNode('greet', { input: { name: '' } }), 'invalid-input', /input\.name/);
    await expectError(plugin.runNode('greet', { input: { name: 'Ada', times: 0 } }), 'invalid-input', /input\.times/);
    await expectError(plugin.runNode('greet', { input: 'Ada' }), 'invalid-input', /input: /);
  });

  t('the store is the caller\'s: reads, writes and deletes are visible to the host', async ({ plugin }) => {
    const store = new Map<string, unknown>([['count', 41], ['old', true]]);
    const result = await plugin.runNode('greet', { input: { name: 'Bo' }, store });
    assert.is(result.next, 'greeted');
    assert.is(store.get('count'), 42);
    assert.equal(store.get('greeted:Bo'), { message: 'Hello, Bo!' });
    const out = await plugin.runNode('store', { input: { get: 'greeted:Bo', del: 'old', set: { key: 'nested', value: { a: [1, { b: null }] } } }, store });
    assert.equal(out.output, { got: { message: 'Hello, Bo!' }, deleted: true });
    assert.equal(store.get('nested'), { a: [1, { b: null }] });
    assert.is(store.has('old'), false);
    assert.equal((await plugin.runNode('store', { input: { get: 'absent', del: 'absent' }, store })).output, { got: null, deleted: false });
  });

  t('log lines reach the sink with level, message, fields, plugin and node', async ({ plugin }) => {
    const { sink, records } = recordingSink();
    await plugin.runNode('greet', { input: { name: 'Cy' }, log: sink });
    assert.equal(records, [
      { level: 'info', message: 'prep', fields: { name: 'Cy' }, plugin: 'kitchen-sink', node: 'greet' },
      { level: 'debug', message: 'exec', plugin: 'kitchen-sink', node: 'greet' },
      { level: 'warn', message: 'post', fields: { next: 'greeted' }, plugin: 'kitchen-sink', node: 'greet' },
    ]);
  });

  t('the plugin reads time from the host clock', async ({ plugin }) => {
    const fixed = Date.UTC(2024, 1, 29, 12, 0, 0);
    const { output } = await plugin.runNode('clock', { now: () => fixed });
    assert.equal(output, { iso: '2024-02-29T12:00:00.000Z', now: fixed, parsed: Date.UTC(2020, 0, 2, 3, 4, 5) });
    const real = (await plugin.runNode('clock')).output as { now: number };
    assert.ok(Math.abs(real.now - Date.now()) < 60_000);
  });

  t('a thrown Error becomes plugin-error with its message, in every phase', async ({ plugin }) => {
    for (const phase of ['prep', 'exec', 'post']) {
      const err = await expectError(plugin.runNode('fail', { input: { phase, how: 'error' } }), 'plugin-error', /^boom$/);
      assert.is(err.context.phase, phase);
      assert.is(err.context.node, 'fail');
      assert.is(err.context.plugin, 'kitchen-sink');
    }
    await expectError(plugin.runNode('fail', { input: { phase: 'exec', how: 'string' } }), 'plugin-error', /a thrown string/);
    await expectError(plugin.runNode('fail', { input: { phase: 'exec', how: 'type-error' } }), 'plugin-error');
    await expectError(plugin.runNode('fail', { input: { phase: 'bad-post', how: 'x' } }), 'plugin-error', /must return \{ output, next \}/);
  });

  t('a NodeError keeps its code and details', async ({ plugin }) => {
    const err = await expectError(plugin.runNode('fail', { input: { phase: 'exec', how: 'denied' } }), 'permission-denied', /no network for you/);
    assert.equal(err.details, { host: 'example.com' });
  });

  t('exec may read the store but not write it (it may be retried)', async ({ plugin }) => {
    const store = new Map<string, unknown>([['x', 5]]);
    assert.is((await plugin.runNode('misuse', { input: { how: 'read' }, store })).output, 5);
    await expectError(plugin.runNode('misuse', { input: { how: 'store-set' }, store }), 'permission-denied', /exec must not write the shared store .* write "x" in (prep or )?post/);
    await expectError(plugin.runNode('misuse', { input: { how: 'store-delete' }, store }), 'permission-denied', /exec must not write the shared store/);
    assert.is(store.get('x'), 5);
  });

  t('a phase that returns a promise is refused with the fix', async ({ plugin }) => {
    await expectError(plugin.runNode('misuse', { input: { how: 'async' } }), 'plugin-error', /exec returned a Promise; node phases must be synchronous/);
  });

  t('a node type the plugin lacks is not-found, listing what it offers', async ({ plugin }) => {
    await expectError(plugin.runNode('nope'), 'not-found', /no node type "nope" \(it offers: identity, greet, phases, fail, clock, store, misuse, flaky, spin, patient\)/);
  });

  t('the instance keeps serving after errors', async ({ plugin }) => {
    await expectError(plugin.runNode('fail', { input: { phase: 'prep', how: 'error' } }), 'plugin-error');
    assert.equal((await plugin.runNode('identity', { input: 1 })).output, 1);
  });

  t('values the host cannot encode are invalid-input, not a crash', async ({ plugin }) => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expectError(plugin.runNode('identity', { input: cyclic }), 'invalid-input', /not JSON-serializable/);
  });

  t('a second load of the same component is served from the transpile cache', async ({ plugin }) => {
    const again = await loadPlugin(plugin.source.source, { cacheDir: CACHE_DIR, log: silentLogSink });
    assert.is(again.source.transpileCached, true);
    assert.is(again.source.sha256, plugin.source.sha256);
    assert.equal((await again.runNode('identity', { input: 'cached' })).output, 'cached');
    await again.close();
    await expectError(again.runNode('identity'), 'plugin-error', /closed/);
  });

  t.run();
}
