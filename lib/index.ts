// The package's public API: what a CDK app needs to add canary rollouts, and nothing internal.
export { CanaryRollout, type CanaryRolloutProps } from './canary-rollout';
export { EksCluster } from './cluster';
export { SerinusEngine, type EnginePlacement } from './engine';
export { CanaryHealthAlarms, type CanaryHealthAlarmsProps, type ManagedAlarmOptions } from './managed-alarms';
export { type RolloutPipelineActionOptions } from './pipeline-action';
export { AfterPromotion, Approval, InsufficientData, OnDrift } from './policies';
export { RolloutDashboard, type RolloutDashboardProps } from './rollout-dashboard';
export { ReleaseImage, ReleaseTrain, type ReleaseTrainOptions, type ReleaseTrainProps } from './release-train';
export { DeploymentWindow, FreezePeriod, type FreezePeriodProps } from './windows';
export { LifecycleHook, type LifecycleHookOptions, type LifecycleHooks } from './hooks';
export {
  TrafficRouting,
  type AlbMetricDimensions,
  type AlbRoutingOptions,
  type AlbTargetGroups,
  type GradualRollbackOptions,
  type RoutingBindContext,
  type TesterRouteOptions,
} from './routing';
export { type IngressRoutingOptions } from './routing-ingress';
export { type IstioRoutingOptions } from './routing-istio';
export { type ReplicaRatioRoutingOptions } from './routing-replica-ratio';
