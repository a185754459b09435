import { StepFunctionsCallbacks, StepFunctionsExecutions } from '../../adapters/step-functions';
import type { Executions, TaskCallbacks } from '../../ports';
import { once } from '../runtime';

export const callbacks = once((): TaskCallbacks => new StepFunctionsCallbacks());
export const executions = once((): Executions => new StepFunctionsExecutions());
