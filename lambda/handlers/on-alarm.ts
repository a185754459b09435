import * as z from 'zod';
import { wire } from '../shared/runtime';
import { callbacks } from '../shared/wiring/step-functions';
import { store } from '../shared/wiring/store';
import { timer } from '../shared/wiring/timer';
import { stateHandler } from '../shared/handler';
import { onAlarm } from '../use-cases/bake';

const deps = wire({ store, callbacks, timer });

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
