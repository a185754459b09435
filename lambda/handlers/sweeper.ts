import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { ENV } from '../handler-names';
import { clock, fenceSeconds, wire } from '../shared/runtime';
import { router } from '../shared/wiring/router';
import { executions } from '../shared/wiring/step-functions';
import { events } from '../shared/wiring/events';
import { store } from '../shared/wiring/store';
import { timer } from '../shared/wiring/timer';
import { workloads } from '../shared/wiring/workloads';
import { stateHandler } from '../shared/handler';
import { sweep } from '../use-cases/rollback';

const deps = wire({ store, router, workloads, timer, clock, fenceSeconds, executions, events });

/** The Input of a safety or reassert schedule; anything else (an empty event) sweeps every record. */
const sweepRequest = z.object({
  kind: z.enum(['safety', 'reassert']),
  executionArn: z.string().min(1),
  targetKey: z.string().min(1),
  // The router's own fields are its adapter's to read.
  traffic: z.looseObject({ kind: z.string().min(1), key: z.string().min(1) }),
});

const run = stateHandler(
  'Sweeper',
  z.unknown(),
  (raw) => {
    const request = sweepRequest.safeParse(raw);
    return sweep(deps, request.success ? request.data : undefined);
  },
  (raw) => sweepRequest.safeParse(raw).data?.executionArn,
);

/**
 * Sweeps the rollout a schedule names (a lost status event; the reassert after cleanup). The
 * sweeper may schedule a reassert itself; its own ARN cannot be in its environment (a function
 * cannot reference itself in CloudFormation), so the invocation tells it.
 */
export async function handler(event: unknown, context?: Context): Promise<Awaited<ReturnType<typeof run>>> {
  if (context?.invokedFunctionArn && !process.env[ENV.sweeperFunctionArn]) {
    process.env[ENV.sweeperFunctionArn] = context.invokedFunctionArn;
  }
  return run(event, context);
}
