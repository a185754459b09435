import { CloudWatchHealthSignals } from '../../adapters/cloudwatch-health-signals';
import type { HealthSignals } from '../../ports';
import { once } from '../runtime';

export const health = once((): HealthSignals => new CloudWatchHealthSignals());
