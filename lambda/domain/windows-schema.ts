/**
 * The execution input's `windows` and `freezes`, as zod schemas whose messages complete a sentence
 * that starts with the field path (input-schema.ts adds it).
 */
import * as z from 'zod';
import { ValidationFailedError } from '../errors';
import { parseFreeze, parseWindow } from './windows';

export { parseFreeze } from './windows';

/** Each message, without the "deployment window …" or "freeze …" subject the domain puts first. */
function problemOf(check: () => unknown): string | undefined {
  try {
    check();
    return undefined;
  } catch (error) {
    if (error instanceof ValidationFailedError) return error.message;
    throw error;
  }
}

export const windowsInputSchema = z
  .array(
    z.string({ error: 'must be a window such as "MON-FRI 09:00-17:00 Europe/Berlin"' }).superRefine((text, ctx) => {
      const problem = problemOf(() => parseWindow(text));
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `is not usable: ${problem}` });
    }),
    { error: 'must be a list of windows such as ["MON-FRI 09:00-17:00 Europe/Berlin"]' },
  )
  .min(1, { error: 'must hold at least one window (leave windows out to keep the service\'s)' })
  .max(20, { error: 'must hold at most 20 windows' });

export const freezesInputSchema = z
  .array(
    z
      .strictObject(
        {
          start: z.string({ error: 'must be an ISO-8601 date or date-time with a zone' }),
          end: z.string({ error: 'must be an ISO-8601 date or date-time with a zone' }),
          reason: z.string({ error: 'must be a string' }).max(256, { error: 'must be at most 256 characters' }).optional(),
        },
        { error: 'must be an object such as {"start": "2026-12-20", "end": "2027-01-04", "reason": "year end"}' },
      )
      .superRefine((freeze, ctx) => {
        const problem = problemOf(() => parseFreeze(freeze));
        if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `is not usable: ${problem}` });
      }),
    { error: 'must be a list of freezes such as [{"start": "2026-12-20", "end": "2027-01-04"}]' },
  )
  .max(50, { error: 'must hold at most 50 freezes' });
