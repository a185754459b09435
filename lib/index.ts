export * from './canary-rollout';
export * from './engine';
export * from './managed-alarms';
export { addNagChecks } from './nag';
export { buildRolloutDefinition, type RolloutWorkflowProps } from './workflow';
export { DeploymentWindow, FreezePeriod, type FreezePeriodProps } from './windows';
export { LifecycleHook, HOOK_POINTS, type HookPoint, type LifecycleHookOptions, type LifecycleHooks } from './hooks';
