/**
 * AWS SDK clients, created once per process (module scope). Locally the runtime points them at this machine
 * through AWS_ENDPOINT_URL_SFN / AWS_ENDPOINT_URL_SNS / AWS_ENDPOINT_URL_DYNAMODB, so the code is the same.
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';

export const stepFunctions = new SFNClient({});
export const sns = new SNSClient({});

export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}
