/** What the host needs to know to run a plugin built against one version of `pocket:plugin`. */
import type { CallContext } from '../host-api.js';

export interface WorldAdapter {
  /** The world version, e.g. `0.1.0`. */
  readonly version: string;
  /**
   * The host interfaces of this version, by interface name (`host`, ...), bound to the context
   * of the call in flight.
   */
  hostImports(current: () => CallContext | undefined): Record<string, unknown>;
}
