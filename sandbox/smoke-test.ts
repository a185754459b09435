/**
 * The smoke scenario's `beforeTraffic` lifecycle hook: a few requests straight to the canary version
 * (as a real smoke test would call the canary Service or target group), before the listener sends it
 * any user traffic. It answers the hook contract, `{ status, reason }`.
 */
/** The hook function's name in the sample app's context (an existing function, named by name). */
export const SMOKE_TEST_FUNCTION = 'checkout-smoke-test';
const REQUESTS = 5;

/** cdk.json's context with the smoke test as the sample rollout's `beforeTraffic` hook. */
export function smokeTestContext(): Record<string, unknown> {
  // Loaded here, not at the top: the sample app loads the CDK and cdk-nag, which only a synthesis
  // needs; a bad flag answers at once, and a run given its workflow never loads them.
  const { cdkJsonContext, SAMPLE_CONTEXT_KEY } = require('../bin/serinus') as typeof import('../bin/serinus');
  const sample = cdkJsonContext()[SAMPLE_CONTEXT_KEY] as Record<string, unknown>;
  return { [SAMPLE_CONTEXT_KEY]: { ...sample, hooks: { beforeTraffic: { functionName: SMOKE_TEST_FUNCTION, timeoutSeconds: 60 } } } };
}

/** The hook: GET `url` a few times; any answer of 500 or more, or no answer, fails it. */
export function smokeTest(url: string, report: (passed: boolean, reason: string) => void): (event: unknown) => Promise<{ status: 'pass' | 'fail'; reason: string }> {
  return async () => {
    const statuses: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      try {
        const response = await fetch(url);
        await response.arrayBuffer();
        statuses.push(response.status);
      } catch {
        statuses.push(0);
      }
    }
    const failed = statuses.filter((status) => status === 0 || status >= 500);
    const answer =
      failed.length === 0
        ? { status: 'pass' as const, reason: `GET / on the canary answered ${REQUESTS} times without a server error` }
        : { status: 'fail' as const, reason: `smoke test: GET / on the canary answered ${failed.map((s) => (s === 0 ? 'no response' : s)).join(', ')} (${failed.length} of ${REQUESTS})` };
    report(answer.status === 'pass', answer.reason);
    return answer;
  };
}
