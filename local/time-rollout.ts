/**
 * How long one full two-step happy rollout takes in the flow harness (the settings the flow tests
 * use), after a warm-up run. Prints the median and the spread; nothing is asserted.
 *
 *   npm run time:rollout -- [runs]
 */
import { LocalEngine, shutdownLocalEngines } from './local-engine';
import { synthesizeSampleWorkflow } from './sample-workflow';

async function main(): Promise<void> {
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  process.env.AWS_ACCESS_KEY_ID ??= 'AKIDEXAMPLE';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
  const runs = Number(process.argv[2] ?? 20);
  const workflow = synthesizeSampleWorkflow();
  const times: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const engine = await LocalEngine.start(workflow, { speed: 1_000_000, rolloutDelayMs: 0, schedulerFiring: 'immediate' });
    const startedAt = performance.now();
    const outcome = await engine.start({ image: 'registry.local/app:2.0.0', steps: [{ weight: 10, bakeSeconds: 60 }, { weight: 100, bakeSeconds: 60 }] }).outcome;
    const ms = performance.now() - startedAt;
    if (outcome.status !== 'SUCCEEDED') throw new Error(`run ${i} ended ${outcome.status}: ${outcome.cause}`);
    if (i > 0) times.push(ms);
    else console.log(`first (cold) rollout: ${ms.toFixed(0)} ms, ${engine.invocations.length} invocations, ${engine.aws.calls.length} AWS calls, ${engine.kube.requests.length} Kubernetes requests`);
    await engine.close();
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(1);
  console.log(`two-step happy rollout over ${runs} warm runs: median ${at(0.5)} ms, p90 ${at(0.9)} ms, min ${at(0)} ms, max ${at(1)} ms`);
  await shutdownLocalEngines();
}

void main();
