/**
 * Checks a plugin project or component the way `pocket-wit validate` reports it: structure,
 * manifest, build, world, metadata (in a worker with a time limit), and every declared example.
 * Each problem says what to fix.
 */
import { existsSync, statSync } from 'node:fs';
import { describeComponent, isPluginError, probePlugin, readComponent, transpileComponent, type PluginDescription, type ProbeResult } from '../host/src/index.js';
import { buildPlugin } from './build/build.js';
import { isProjectDir, isUpToDate, readProject, type PluginProject } from './build/project.js';
import { silentSteps, type StepReporter } from './ui/steps.js';

export interface ValidationProblem {
  check: 'structure' | 'manifest' | 'build' | 'component' | 'metadata' | 'example';
  message: string;
  fix: string;
}

export interface ValidationReport {
  target: string;
  file?: string;
  problems: ValidationProblem[];
  probe?: ProbeResult;
  /** What the component says about itself (from its section, or its metadata() without one). */
  description?: PluginDescription;
  /**
   * For a project: `built` when its component was missing or older than its sources (built to
   * its default output, as `run` does), `up-to-date` when the existing component was checked.
   */
  component?: 'built' | 'up-to-date';
}

export async function validatePlugin(target: string, steps: StepReporter = silentSteps): Promise<ValidationReport> {
  const problems: ValidationProblem[] = [];
  const report: ValidationReport = { target, problems };
  if (!existsSync(target)) {
    problems.push({ check: 'structure', message: `${target} does not exist`, fix: 'give a plugin project directory or a .wasm component' });
    return report;
  }
  let file: string | undefined;
  if (statSync(target).isDirectory()) {
    if (!isProjectDir(target)) {
      problems.push({ check: 'structure', message: `${target} has no manifest.yaml`, fix: 'add manifest.yaml with name, version and description (docs/PLUGINS.md)' });
      return report;
    }
    let project: PluginProject;
    try {
      project = readProject(target);
    } catch (err) {
      if (!isPluginError(err)) throw err;
      const check = err.code === 'invalid-manifest' ? 'manifest' : 'structure';
      for (const line of err.message.split('\n').slice(err.message.includes('\n') ? 1 : 0)) {
        problems.push({ check, message: line.replace(/^\s*-\s*/, ''), fix: check === 'manifest' ? 'correct the field in manifest.yaml' : 'add src/index.ts exporting definePlugin(...)' });
      }
      return report;
    }
    // The staleness rule of `run`: build only when the component is missing or older than the
    // manifest or a source file.
    try {
      if (isUpToDate(project)) {
        file = project.defaultOutput;
        report.component = 'up-to-date';
      } else {
        file = (await buildPlugin(target, { steps })).out;
        report.component = 'built';
      }
    } catch (err) {
      if (!isPluginError(err)) throw err;
      problems.push({ check: 'build', message: err.message, fix: 'fix the source (see the message), then run `pocket-wit build`' });
      return report;
    }
  } else {
    file = target;
  }
  report.file = file;
  try {
    const component = await readComponent(file);
    await transpileComponent(component);
    // The embedded manifest and node definitions are readable; without the section (another
    // toolchain built it), its metadata() answers in a worker with nothing granted.
    report.description = await describeComponent(file);
  } catch (err) {
    if (!isPluginError(err)) throw err;
    problems.push({ check: 'component', message: err.message, fix: err.code === 'incompatible' ? 'rebuild the plugin against this pocket-wit\'s world' : 'rebuild it with `pocket-wit build`' });
    return report;
  }
  try {
    report.probe = await steps.step('running metadata and examples in a worker', () => probePlugin({ file: file!, runExamples: true }));
  } catch (err) {
    if (!isPluginError(err)) throw err;
    const fix = err.code === 'permission-denied' ? 'ask for a specific folder in permissions.filesystem (manifest.yaml) and rebuild' : 'make metadata() return without failing (see the message)';
    problems.push({ check: 'metadata', message: err.message, fix });
    return report;
  }
  for (const ex of report.probe.examples) {
    if (ex.status !== 'fail') continue;
    const message = ex.error
      ? `example "${ex.example}" of node ${ex.node} failed: error[${ex.error.code}] ${ex.error.message}`
      : `example "${ex.example}" of node ${ex.node} produced ${JSON.stringify(ex.actual)}, but declares ${JSON.stringify(ex.expected)}`;
    problems.push({ check: 'example', message, fix: 'fix the node, or correct the example\'s declared output' });
  }
  return report;
}
