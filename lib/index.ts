export * from './canary-rollout';
export * from './engine';
export * from './managed-alarms';
export * from './pipeline-action';
export * from './release-train';
export { addNagChecks } from './nag';
export { buildRolloutDefinition, type RolloutWorkflowProps } from './workflow';
