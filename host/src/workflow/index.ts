/** Pocket workflows: read, check and run YAML workflows whose nodes are plugins and built-ins. */
export { parseWorkflow, readWorkflow, formatProblem, WorkflowInvalidError, WorkflowSchema, type WorkflowDef, type WorkflowNodeDef, type ConnectionDef, type RetryDef, type WorkflowProblem, type WorkflowSource } from './definition.js';
export { NodeRegistry, pluginNodeTypes, type NodeType, type NodeRunContext } from './node-types.js';
export { validateWorkflow } from './validate.js';
export { parsePluginPin, splitNpmSpec, type PluginPin } from './plugin-pins.js';
export { Flow, WorkflowRunError, DEFAULT_STEP_LIMIT, type RunOptions, type RunResult, type TraceStep } from './engine.js';
export { builtinNodeTypes } from './builtins/index.js';
export { runBatch, type BatchOptions, type BatchItemResult, type ItemTiming, type StepTiming } from './batch.js';
