/**
 * typebox reports at most 8 errors by default; manifests and workflows are checked to report
 * every problem at once, so the host raises the limit. (Plugins bundle their own typebox.)
 */
import { Settings } from 'typebox/system';

Settings.Set({ maxErrors: 1000 });
