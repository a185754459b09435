export * from './canary-rollout';
export * from './engine';
export * from './managed-alarms';
export { addNagChecks } from './nag';
export { buildRolloutDefinition, type RolloutWorkflowProps } from './workflow';
