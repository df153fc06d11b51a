/** Builds rust plugin projects. (Being written.) */
import { PluginError } from '../../../host/src/errors.js';
import type { LanguageBuilder } from './builder.js';

export const buildRust: LanguageBuilder = async (project) => {
  throw new PluginError('build-failed', `${project.dir}: building rust plugins is not available yet`);
};
