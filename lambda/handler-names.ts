/**
 * The runtime's handlers, one per state (`lambda/handlers/<name>.ts`). The CDK engine creates one
 * function per name; the workflow definition and the local flow harness map states to them.
 */
export const WORKFLOW_HANDLERS = [
  'validate',
  'acquire-lock',
  'deploy-canary',
  'check-canary-ready',
  'shift-weight',
  'start-bake',
  'check-health',
  'promote-stable',
  'check-stable-ready',
  'finish',
  'rollback',
  'restore-stable',
  'await-window',
  'request-approval',
] as const;

/** Handlers started by EventBridge rather than by the workflow. */
export const EVENT_HANDLERS = ['on-alarm', 'cleanup', 'sweeper'] as const;

export type WorkflowHandlerName = (typeof WORKFLOW_HANDLERS)[number];
export type EventHandlerName = (typeof EVENT_HANDLERS)[number];
export type HandlerName = WorkflowHandlerName | EventHandlerName;

/** What each handler touches, so the engine grants exactly that. */
export interface HandlerNeeds {
  /** Calls the Kubernetes API (needs the EKS access entry and, for private endpoints, the VPC). */
  readonly kubernetes: boolean;
  /** Writes listener or rule weights. */
  readonly writesTraffic: boolean;
  /** Reads listener/rule actions and target health. */
  readonly readsTraffic: boolean;
  /** Reads alarms and their history. */
  readonly readsAlarms: boolean;
  /** Reads or writes the rollout table. */
  readonly table: 'none' | 'read' | 'readWrite';
  /** Creates or deletes bake schedules. */
  readonly schedules: boolean;
  /** Sends task success/failure. */
  readonly taskCallbacks: boolean;
  /** Describes executions. */
  readonly describesExecutions: boolean;
  /** Publishes rollout events to EventBridge. */
  readonly publishesEvents: boolean;
  /** Publishes messages for people to the rollout's approval topic. */
  readonly notifies: boolean;
}

const none: HandlerNeeds = {
  kubernetes: false,
  writesTraffic: false,
  readsTraffic: false,
  readsAlarms: false,
  table: 'none',
  schedules: false,
  taskCallbacks: false,
  describesExecutions: false,
  publishesEvents: false,
  notifies: false,
};

/** Rollback, cleanup and the sweeper undo everything, so they need everything that undoes. */
const undo: HandlerNeeds = {
  ...none,
  kubernetes: true,
  writesTraffic: true,
  readsTraffic: true,
  table: 'readWrite',
  schedules: true,
  publishesEvents: true,
};

export const HANDLER_NEEDS: Record<HandlerName, HandlerNeeds> = {
  validate: { ...none, kubernetes: true, readsTraffic: true, readsAlarms: true },
  // Lock attaches the canary target group at weight 0 and creates the safety schedule. Every
  // function that reads or writes traffic may call the Kubernetes API: Ingress, Istio and
  // replica-ratio routers steer through it.
  'acquire-lock': { ...none, kubernetes: true, readsTraffic: true, writesTraffic: true, table: 'readWrite', schedules: true, publishesEvents: true },
  'deploy-canary': { ...none, kubernetes: true, table: 'readWrite' },
  'check-canary-ready': { ...none, kubernetes: true, readsTraffic: true },
  'shift-weight': { ...none, kubernetes: true, readsTraffic: true, writesTraffic: true, table: 'readWrite', publishesEvents: true },
  'start-bake': { ...none, readsAlarms: true, table: 'readWrite', schedules: true, taskCallbacks: true },
  // The end of a bake rechecks the canary Deployment itself, not only the alarms.
  'check-health': { ...none, kubernetes: true, readsAlarms: true, readsTraffic: true, table: 'readWrite' },
  'promote-stable': { ...none, kubernetes: true, table: 'readWrite' },
  'check-stable-ready': { ...none, kubernetes: true, readsTraffic: true },
  finish: { ...none, kubernetes: true, readsTraffic: true, writesTraffic: true, table: 'readWrite', schedules: true, publishesEvents: true },
  rollback: undo,
  'restore-stable': { ...none, kubernetes: true, table: 'readWrite' },
  // A deployment-window gate is kept like a bake: alarms checked, token stored, a schedule at the opening.
  'await-window': { ...none, readsAlarms: true, table: 'readWrite', schedules: true, taskCallbacks: true },
  'request-approval': { ...none, table: 'readWrite', publishesEvents: true, notifies: true },
  'on-alarm': { ...none, table: 'read', schedules: true, taskCallbacks: true },
  cleanup: undo,
  sweeper: { ...undo, describesExecutions: true },
};

/** The rollout table's index by execution ARN (cleanup finds a record from the execution event). */
export const EXECUTION_INDEX = 'byExecution';

/** Environment variables the runtime reads. */
export const ENV = {
  tableName: 'SERINUS_TABLE_NAME',
  executionIndexName: 'SERINUS_EXECUTION_INDEX',
  scheduleGroup: 'SERINUS_BAKE_SCHEDULE_GROUP',
  schedulerRoleArn: 'SERINUS_BAKE_SCHEDULER_ROLE_ARN',
  /** The sweeper function, the target of the safety and reassert schedules. */
  sweeperFunctionArn: 'SERINUS_SWEEPER_FUNCTION_ARN',
  /** How long a handler of an ended execution may still be running (the longest timeout + a margin). */
  fenceSeconds: 'SERINUS_FENCE_SECONDS',
} as const;

/** When `SERINUS_FENCE_SECONDS` is unset: a 5-minute function timeout plus 60 s. */
export const DEFAULT_FENCE_SECONDS = 360;
