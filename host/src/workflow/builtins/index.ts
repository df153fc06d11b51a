/** The built-in node types every workflow can use. */
import type { NodeType } from '../node-types.js';
import { delay, echo } from './basic.js';
import { flow, parallel } from './composite.js';
import { aggregate, template, transform, validate } from './data.js';
import { conditional, router } from './routing.js';

export function builtinNodeTypes(): NodeType[] {
  return [echo, delay, router, conditional, transform, template, validate, aggregate, parallel, flow];
}
