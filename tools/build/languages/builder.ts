/**
 * What a language builder does: turn a plugin project into a component of the `pocket:plugin`
 * world (or, for Go, the `command` world). `build.ts` picks the builder by the project's
 * language, then reads the node definitions and stamps the manifest section, for every language.
 */
import type { StepReporter } from '../../ui/steps.js';
import type { PluginProject } from '../project.js';

export interface LanguageBuildContext {
  /** The `pocket:plugin` version to build against. */
  witVersion: string;
  steps: StepReporter;
  /**
   * Run after the sources were read and checked (bundled, imports confined) and before they are
   * compiled: the TypeScript type check, so that a refused import is reported as what it is.
   */
  beforeCompile?: () => Promise<void>;
}

export interface LanguageBuildResult {
  /** The component, without the `pocket-wit:plugin` section (build.ts adds it). */
  component: Uint8Array;
  /** Recorded in the section: `quickjs`, `starlingmonkey`, `rust`, `go`, `c`. */
  engine: string;
  /**
   * The world the component implements, e.g. `pocket:plugin@0.2.1` (default) or, for a WASI
   * command plugin, `pocket:plugin/command@0.2.1`.
   */
  world?: string;
}

export type LanguageBuilder = (project: PluginProject, ctx: LanguageBuildContext) => Promise<LanguageBuildResult>;
