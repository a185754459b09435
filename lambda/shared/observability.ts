import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/** One logger and one metrics instance for the whole runtime. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'serinus' });
export const metrics = new Metrics({ namespace: 'Serinus', serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'serinus' });
