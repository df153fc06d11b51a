/**
 * `pocket:plugin@0.2.0`, an adapter onto the latest host: 0.2.1 added only the world `command`,
 * so the `plugin` world of 0.2.0 has every host function of the latest and the same `node`
 * exports. Typed against the generated 0.2.0 interfaces, so it cannot drift from `wit/v0.2.0`.
 */
import type * as Host from '../generated/wit/v0.2.0/interfaces/pocket-plugin-host.js';
import type * as Node from '../generated/wit/v0.2.0/interfaces/pocket-plugin-node.js';
import { latestHost, type HostCalls } from '../host-api.js';
import type { NodeExports, WorldAdapter } from './adapter.js';

// The exports of 0.2.0 must stay assignable to the latest ones, or `nodeExports` needs a shim.
type _SameExports = typeof Node extends NodeExports ? true : never;
const _sameExports: _SameExports = true;
void _sameExports;

export const v0_2_0: WorldAdapter = {
  version: '0.2.0',
  hostImports(current: () => HostCalls | undefined) {
    const host: typeof Host = latestHost(current);
    return { host };
  },
  nodeExports(exports) {
    return exports.node as typeof Node | undefined;
  },
};
