import type { TrafficTarget } from '../domain/types';
import { ValidationFailedError } from '../errors';
import type { Fence, TrafficRouter } from '../ports';
import { logger } from '../shared/observability';

/**
 * Opens the target's tester route: from Lock on, requests with the tester header reach the canary.
 * Nothing to do for a target without `testerHeader`.
 * @throws ValidationFailedError when the target asks for a route its router does not have
 */
export async function openTesterRoute(router: TrafficRouter, traffic: TrafficTarget, fence: Fence): Promise<void> {
  if (!traffic.testerHeader) return;
  if (!router.testerRoute) {
    throw new ValidationFailedError(`traffic.testerHeader: the ${traffic.kind} router has no tester route; remove testerHeader`);
  }
  if (await router.testerRoute.open(traffic, fence)) logger.info('opened the tester route', { header: traffic.testerHeader.name });
}

/**
 * Closes the target's tester route, so none outlives its rollout: at the promotion and after every
 * revert's traffic write. Never refuses; a missing route is fine.
 */
export async function closeTesterRoute(router: TrafficRouter, traffic: TrafficTarget): Promise<void> {
  if (traffic.testerHeader && router.testerRoute && (await router.testerRoute.close(traffic))) {
    logger.info('removed the tester route', { header: traffic.testerHeader.name });
  }
}
