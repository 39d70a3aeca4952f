/** One structured JSON logger per process (Powertools). Never log resident names or phone numbers. */
// Readable stack traces in the logs of a bundle, without --enable-source-maps (./stack-traces.ts).
import './stack-traces.js';
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'gridflow',
  logLevel: (process.env.POWERTOOLS_LOG_LEVEL ?? process.env.LOG_LEVEL ?? 'INFO') as 'INFO',
});
