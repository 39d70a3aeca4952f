/**
 * Module-scope clients, created once per Lambda container (and once per local runtime).
 * The SDK reads AWS_REGION and AWS_ENDPOINT_URL_DYNAMODB from the environment: that is how the
 * local runtime points the very same code at DynamoDB Local.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, type TranslateConfig } from '@aws-sdk/lib-dynamodb';
import { REQUEST_TIMEOUTS } from '../commons/timeouts.js';
import { TABLE_NAME_ENV } from './table-design.js';

/** With request timeouts (functions/commons/timeouts.ts): a stalled table is an error, not a hung request. */
export const dynamoDb = new DynamoDBClient({ requestHandler: REQUEST_TIMEOUTS });

/** Shared with clients built elsewhere (tests, local tools) so items marshal the same way. */
export const translateConfig: TranslateConfig = {
  marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
};

export const documentClient = DynamoDBDocumentClient.from(dynamoDb, translateConfig);

export function tableName(): string {
  const name = process.env[TABLE_NAME_ENV];
  if (!name) throw new Error(`Environment variable ${TABLE_NAME_ENV} is not set: it must name the county's DynamoDB table`);
  return name;
}
