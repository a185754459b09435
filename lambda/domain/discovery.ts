/**
 * How a tool finds a deployed rollout by service name alone: one SSM String parameter per service,
 * written by the construct and read by the `serinus` CLI. Pure: names and the value's type.
 */
import type { TargetConfig } from './types';

/** Every service's parameter lives under this path. */
export const SERVICE_PARAMETER_PATH = '/serinus/services/';

/** `/serinus/services/<service>` */
export function serviceParameterName(service: string): string {
  return `${SERVICE_PARAMETER_PATH}${service}`;
}

/** The parameter's value, as JSON. */
export interface ServiceDiscovery {
  readonly schemaVersion: 1;
  readonly service: string;
  readonly stateMachineArn: string;
  readonly stateMachineName: string;
  readonly tableName: string;
  readonly approvalTopicArn: string;
  readonly eventBusName: string;
  readonly target: TargetConfig;
}
