/**
 * `pocket-wit check` and WASI: a plugin-world component may import the WASI interfaces the
 * sandbox provides (SANDBOX_WASI_INTERFACES); any other WASI import is a problem.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { componentizeJs } from '../tools/build/componentize-js.js';
import { checkPlugin } from '../tools/wit/check-plugin.js';
import { SANDBOX_WASI_INTERFACES } from '../host/src/sandbox/wasi/interfaces.js';

// Enough of a plugin to componentize (nothing calls it here).
const SOURCE = 'export const node = { metadata() {}, prep() {}, exec() {}, post() {} };';

test('WASI imports the sandbox provides are compatible', async () => {
  const wasi = ['wasi:cli/environment', 'wasi:filesystem/preopens', 'wasi:filesystem/types', 'wasi:sockets/udp-create-socket'];
  assert.ok(wasi.every((i) => SANDBOX_WASI_INTERFACES.includes(i)));
  const report = await checkPlugin(await componentizeJs(SOURCE, 'quickjs', '0.2.0', wasi));
  assert.equal(report.problems, []);
  assert.ok(report.compatible);
  assert.ok(report.imports.includes('wasi:filesystem/types@0.2.12'), report.imports.join());
  assert.is(report.world, 'pocket:plugin@0.2.0');
});

test('a WASI import the sandbox does not provide is a missing-import problem naming it', async () => {
  assert.not.ok(SANDBOX_WASI_INTERFACES.includes('wasi:http/incoming-handler'));
  const report = await checkPlugin(await componentizeJs(SOURCE, 'quickjs', '0.2.0', ['wasi:cli/environment', 'wasi:http/incoming-handler']));
  assert.not.ok(report.compatible);
  assert.equal(
    report.problems.map((p) => [p.kind, p.path]),
    [['missing-import', 'wasi:http/incoming-handler@0.2.12']],
  );
  assert.match(report.problems[0]!.message, /the plugin imports wasi:http\/incoming-handler@0\.2\.12, which the host's sandbox does not provide/);
});

test.run();
