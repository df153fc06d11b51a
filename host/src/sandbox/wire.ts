/** Errors as they cross from a worker thread to the host: a code, a message, details. */
import { ERROR_CODES, PluginError, type ErrorCode, type ErrorContext } from '../errors.js';
import type { WireError } from './channel.js';

export function fromWire(e: WireError, context: ErrorContext): PluginError {
  const code: ErrorCode = ERROR_CODES.has(e.code) ? (e.code as ErrorCode) : 'plugin-error';
  return new PluginError(code, e.message, { context, ...(e.details !== undefined ? { details: e.details } : {}) });
}
