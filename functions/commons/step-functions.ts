/**
 * The Step Functions client, created once per process (module scope), with the request timeouts of
 * ./timeouts.ts. Its own module, apart from the SNS client (./clients.ts), so that a function which starts or
 * wakes workflows but publishes nothing (the API's functions, await) neither bundles nor constructs SNS's.
 * Locally AWS_ENDPOINT_URL_SFN points it at this machine.
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import { REQUEST_TIMEOUTS } from './timeouts.js';

export const stepFunctions = new SFNClient({ requestHandler: REQUEST_TIMEOUTS });
