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

/** Publishes in flight per client, and the clients replaced but still finishing theirs. */
const inFlight = new Map<SNSClient, number>();
const retired = new Set<SNSClient>();

/**
 * Publish through the current SNS client. A failure before any answer came back (serialization, the network)
 * may leave state behind in the client: the SDK's query serializer, after a message it could not encode,
 * prefixes the next request of the same client with the half-written field, corrupting another incident's
 * message. Such a client is replaced, so one message's failure never reaches another; it is destroyed only once
 * the publishes already in flight on it are done (destroying it at once aborted them: in a burst, hundreds of
 * answered publishes failed and were sent again).
 */
export async function publishToSns(input: PublishCommandInput): Promise<PublishCommandOutput> {
  const client = sns;
  inFlight.set(client, (inFlight.get(client) ?? 0) + 1);
  try {
    return await client.send(new PublishCommand(input));
  } catch (error) {
    const answered = typeof (error as { $metadata?: { httpStatusCode?: unknown } }).$metadata?.httpStatusCode === 'number';
    if (!answered && sns === client) {
      sns = newSns();
      retired.add(client);
    }
    throw error;
  } finally {
    const left = inFlight.get(client)! - 1;
    if (left > 0) inFlight.set(client, left);
    else {
      inFlight.delete(client);
      if (retired.delete(client)) client.destroy();
    }
  }
}
