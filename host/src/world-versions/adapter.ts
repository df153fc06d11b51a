/** What the host needs to know to run a plugin built against one version of `pocket:plugin`. */
import type * as LatestNode from '../generated/wit/v0.2.1/interfaces/pocket-plugin-node.js';
import type { HostCalls } from '../host-api.js';

/** The exports of one plugin instance, as the latest world's `node` interface. */
export type NodeExports = typeof LatestNode;

export interface WorldAdapter {
  /** The world version, e.g. `0.1.0`. */
  readonly version: string;
  /**
   * The host interfaces of this version, by interface name (`host`, ...), bound to the host
   * calls of the call in flight.
   */
  hostImports(current: () => HostCalls | undefined): Record<string, unknown>;
  /**
   * The instance's exports (as jco's glue returns them) seen as the latest world's `node`
   * interface: a version whose exports differ adapts them here, so runners never need to know.
   * Undefined when the instance does not export what this version requires.
   */
  nodeExports(exports: Record<string, unknown>): NodeExports | undefined;
}
