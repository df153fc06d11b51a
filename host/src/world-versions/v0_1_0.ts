/**
 * `pocket:plugin@0.1.0`, an adapter onto the latest host: 0.1.0 has every host function of the
 * latest but `cancelled`, and the same `node` exports. Old versions are thin adapters, never copies.
 */
import type * as Host from '../generated/wit/v0.1.0/interfaces/pocket-plugin-host.js';
import type * as Node from '../generated/wit/v0.1.0/interfaces/pocket-plugin-node.js';
import { latestHost, type HostCalls } from '../host-api.js';
import type { NodeExports, WorldAdapter } from './adapter.js';

// The exports of 0.1.0 must stay assignable to the latest ones, or `nodeExports` needs a shim.
type _SameExports = typeof Node extends NodeExports ? true : never;
const _sameExports: _SameExports = true;
void _sameExports;

export const v0_1_0: WorldAdapter = {
  version: '0.1.0',
  hostImports(current: () => HostCalls | undefined) {
    const { cancelled: _new, ...rest } = latestHost(current);
    const host: typeof Host = rest;
    return { host };
  },
  nodeExports(exports) {
    return exports.node as typeof Node | undefined;
  },
};
