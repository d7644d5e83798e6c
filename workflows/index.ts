/** The one entry file for workflows (the worker's `workflowsPath` and bundle). */
export { contractWorkflow } from './contract';
