/** Builds c plugin projects. (Being written.) */
import { PluginError } from '../../../host/src/errors.js';
import type { LanguageBuilder } from './builder.js';

export const buildC: LanguageBuilder = async (project) => {
  throw new PluginError('build-failed', `${project.dir}: building c plugins is not available yet`);
};
