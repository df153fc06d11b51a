/** `pocket:plugin@0.2.1`, the latest world: the host imports as `host-api.ts` implements them. */
import { latestHost, type HostCalls } from '../host-api.js';
import type { NodeExports, WorldAdapter } from './adapter.js';

export const v0_2_1: WorldAdapter = {
  version: '0.2.1',
  hostImports(current: () => HostCalls | undefined) {
    return { host: latestHost(current) };
  },
  nodeExports(exports) {
    return exports.node as NodeExports | undefined;
  },
};
