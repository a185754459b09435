/**
 * How a tool finds a deployed rollout by its service name alone: an SSM String parameter per
 * service whose value is this JSON. The construct writes it; the `serinus` CLI reads it. Pure.
 */
import type { TargetConfig } from './types';

/** Bumped when a field changes meaning or goes away; adding an optional field keeps it. */
export const DISCOVERY_SCHEMA_VERSION = 1;

/** Where every service's discovery parameter lives. */
export const DISCOVERY_PARAMETER_PATH = '/serinus/services/';

/** The SSM parameter that describes the rollout of `service`. */
export function discoveryParameterName(service: string): string {
  return `${DISCOVERY_PARAMETER_PATH}${service}`;
}

/** The state machine's name when the construct is given none. */
export function defaultStateMachineName(service: string): string {
  return `serinus-${service}`;
}

/** The value of the discovery parameter. */
export interface DiscoveryValue {
  readonly schemaVersion: typeof DISCOVERY_SCHEMA_VERSION;
  readonly service: string;
  readonly stateMachineArn: string;
  readonly stateMachineName: string;
  /** The rollout table; the record's key is `target.traffic.ruleArn ?? target.traffic.listenerArn`. */
  readonly tableName: string;
  /** Where approval requests are published. */
  readonly approvalTopicArn: string;
  /** The bus the rollout's EventBridge events go to (`default` unless the construct names one). */
  readonly eventBusName: string;
  readonly target: TargetConfig;
}
