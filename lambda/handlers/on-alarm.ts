import { z } from 'zod';
import { deps } from '../shared/runtime';
import { stateHandler } from '../shared/handler';
import { onAlarm } from '../use-cases/bake';

/** EventBridge "CloudWatch Alarm State Change". */
const event = z.object({
  source: z.literal('aws.cloudwatch'),
  'detail-type': z.literal('CloudWatch Alarm State Change'),
  detail: z.object({
    alarmName: z.string().min(1),
    state: z.object({ value: z.string(), reason: z.string().optional(), timestamp: z.string().optional() }),
  }),
});

/** Fails the task token of every bake watching the alarm, so rollback starts at once. */
export const handler = stateHandler(
  'OnAlarm',
  event,
  (e) =>
    onAlarm(deps, {
      alarmName: e.detail.alarmName,
      state: e.detail.state.value,
      reason: e.detail.state.reason,
      timestamp: e.detail.state.timestamp,
    }),
  () => undefined,
);
