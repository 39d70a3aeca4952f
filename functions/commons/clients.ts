/**
 * The SNS client, created once per process (module scope). Locally the runtime points the clients at this
 * machine through AWS_ENDPOINT_URL_SFN / AWS_ENDPOINT_URL_SNS / AWS_ENDPOINT_URL_DYNAMODB, so the code is the
 * same. Every client has the request timeouts of ./timeouts.ts. The Step Functions client lives in
 * ./step-functions.ts (re-exported here for the local runtime and the bench): a module that imports this one
 * bundles and constructs the SNS client, so only publishers should.
 */
import { PublishCommand, SNSClient, type PublishCommandInput, type PublishCommandOutput } from '@aws-sdk/client-sns';
import { REQUEST_TIMEOUTS } from './timeouts.js';

export { requiredEnv } from './env.js';
export { stepFunctions } from './step-functions.js';

const newSns = () => new SNSClient({ requestHandler: REQUEST_TIMEOUTS });
/** The current SNS client (a live binding: see publishToSns). */
export let sns = newSns();

/**
 * Publish through the current SNS client. A failure before any answer came back (serialization, the network)
 * may leave state behind in the client: the SDK's query serializer, after a message it could not encode,
 * prefixes the next request of the same client with the half-written field, corrupting another incident's
 * message. Such a client is replaced, so one message's failure never reaches another.
 */
export async function publishToSns(input: PublishCommandInput): Promise<PublishCommandOutput> {
  const client = sns;
  try {
    return await client.send(new PublishCommand(input));
  } catch (error) {
    const answered = typeof (error as { $metadata?: { httpStatusCode?: unknown } }).$metadata?.httpStatusCode === 'number';
    if (!answered && sns === client) {
      sns = newSns();
      client.destroy();
    }
    throw error;
  }
}
