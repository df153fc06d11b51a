/**
 * The `pocket-wit:plugin` section of a component (see `host/src/plugin-section.ts`): its node
 * definitions, read by running the component's `metadata` export once in a sandboxed worker that
 * is granted nothing, then written with the manifest, the world, the engine and the WIT.
 * `pocket-wit build` stamps every component it makes with it; `pocket-wit stamp` stamps one that
 * another toolchain made.
 */
import { didYouMean } from '../../host/src/did-you-mean.js';
import { loadPlugin, PluginError, silentLogSink, SUPPORTED_WORLD_VERSIONS, WIT_PACKAGE, witSource, writePluginSection } from '../../host/src/index.js';
import type { Manifest, NodeDefinition, PluginMetadata, PluginSection } from '../../host/src/index.js';

/**
 * The component's metadata (name, version, node definitions), from its own `metadata` export:
 * run once in a worker with no environment, no directories and no hosts granted, under the
 * component's source name, and not remembered in the learned-metadata cache.
 */
export async function readComponentMetadata(component: Uint8Array): Promise<PluginMetadata> {
  // Under its source name and not cached: the component is still being made (a plugin that
  // misbehaves under its own name, e.g. test/fixtures/hostile-go, is built all the same).
  const plugin = await loadPlugin(component, { log: silentLogSink, pool: 1, permissions: { env: [], filesystem: [], network: [] }, learnMetadata: false });
  try {
    return plugin.metadata;
  } finally {
    await plugin.close();
  }
}

export interface StampOptions {
  /** The plugin's manifest, already validated (`readManifest`). */
  manifest: Manifest;
  /** The `pocket:plugin` version the component targets. */
  witVersion: string;
  /**
   * The world the component implements; default `pocket:plugin@<witVersion>` (a WASI command
   * plugin, e.g. Go, is `pocket:plugin/command@<witVersion>`).
   */
  world?: string;
  /** How it was built: `quickjs`, `starlingmonkey`, `rust`, `go`, `c`, or `external`. */
  engine: string;
  /** Node definitions already read with {@link readComponentMetadata}; read here when omitted. */
  nodes?: NodeDefinition[];
}

export interface Stamped {
  /** The component with the section appended. */
  bytes: Uint8Array;
  /** What the section holds. */
  section: PluginSection;
}

/**
 * `component` (which must have no `pocket-wit:plugin` section yet) with the section appended.
 * The WIT text is the released one of `witVersion`; a version this pocket-wit does not ship gets
 * none (the field is optional).
 */
export async function stampComponent(component: Uint8Array, options: StampOptions): Promise<Stamped> {
  const nodes = options.nodes ?? (await readComponentMetadata(component)).nodes;
  const types = nodes.map((n) => n.type);
  const strays = Object.keys(options.manifest.actions ?? {}).filter((t) => !types.includes(t));
  if (strays.length > 0) {
    const lines = strays.map((t) => `  - actions.${t}: the plugin has no node type "${t}"${didYouMean(t, types)}; its node types: ${types.join(', ')}`);
    throw new PluginError('invalid-manifest', `${options.manifest.name}: the manifest declares actions for node types it does not offer:\n${lines.join('\n')}`);
  }
  const section: PluginSection = {
    format: 1,
    world: options.world ?? `${WIT_PACKAGE}@${options.witVersion}`,
    engine: options.engine,
    manifest: options.manifest,
    nodes,
    ...(SUPPORTED_WORLD_VERSIONS.includes(options.witVersion) ? { wit: witSource(options.witVersion) } : {}),
  };
  return { bytes: writePluginSection(component, section), section };
}
