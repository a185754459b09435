import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { ValidationFailedError } from '../errors';
import { describeIssues } from '../domain/target-schema';
import { logger, metrics } from './observability';

/**
 * Wraps a state's use-case: validates the event, tags every log line with the execution, logs the
 * outcome, flushes metrics. Errors propagate unchanged so Step Functions sees their names.
 */
export function stateHandler<S extends z.ZodType, R>(
  state: string,
  schema: S,
  run: (event: z.infer<S>) => Promise<R>,
  executionOf: (event: z.infer<S>) => string | undefined = defaultExecutionOf,
): (event: unknown, context?: Context) => Promise<R> {
  return async (raw, context) => {
    if (context) logger.addContext(context);
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      logger.error(`${state}: invalid event`, { issues: parsed.error.issues });
      throw new ValidationFailedError(describeIssues(parsed.error, `${state} event`));
    }
    const executionArn = executionOf(parsed.data);
    logger.appendKeys({ state, ...(executionArn ? { executionArn } : {}) });
    try {
      const result = await run(parsed.data);
      logger.info(`${state}: done`, { result: result as Record<string, unknown> });
      return result;
    } catch (error) {
      logger.error(`${state}: failed`, error as Error);
      throw error;
    } finally {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
      logger.removeKeys(['state', 'executionArn']);
    }
  };
}

function defaultExecutionOf(event: unknown): string | undefined {
  const e = event as { rollout?: { executionArn?: string }; executionArn?: string };
  return e.rollout?.executionArn ?? e.executionArn;
}
