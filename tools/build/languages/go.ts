/** Builds go plugin projects. (Being written.) */
import { PluginError } from '../../../host/src/errors.js';
import type { LanguageBuilder } from './builder.js';

export const buildGo: LanguageBuilder = async (project) => {
  throw new PluginError('build-failed', `${project.dir}: building go plugins is not available yet`);
};
