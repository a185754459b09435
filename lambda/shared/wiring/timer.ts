import { SchedulerBakeTimer } from '../../adapters/scheduler-bake-timer';
import { ENV } from '../../handler-names';
import type { BakeTimer } from '../../ports';
import { once, requiredEnv } from '../runtime';

export const timer = once(
  (): BakeTimer =>
    new SchedulerBakeTimer({
      groupName: requiredEnv(ENV.scheduleGroup),
      roleArn: requiredEnv(ENV.schedulerRoleArn),
      sweeperFunctionArn: process.env[ENV.sweeperFunctionArn],
    }),
);
