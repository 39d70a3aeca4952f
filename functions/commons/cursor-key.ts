/**
 * The key that signs paging cursors (functions/storage/cursor.ts). Locally and in tests CURSOR_SECRET holds
 * it (the runtime keeps it in the data dir). In the cloud it is an SSM SecureString (CURSOR_KEY_PARAMETER
 * names it, encrypted with the account's AWS managed key for SSM, free of charge): the first list call of a
 * new county generates 32 random bytes and stores them (PutParameter without overwrite, so two first calls
 * agree on one key), every container reads it once and keeps it. Nobody who can only read the stack (its
 * template, ARNs or outputs) learns it.
 */
import { randomBytes } from 'node:crypto';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { cursorSecret, CURSOR_SECRET_ENV } from '#storage/cursor.js';

export const CURSOR_KEY_PARAMETER_ENV = 'CURSOR_KEY_PARAMETER';

let ssm: SSMClient | undefined;
let cached: Promise<string> | undefined;

async function fromParameter(name: string): Promise<string> {
  ssm ??= new SSMClient({});
  const read = async () => (await ssm!.send(new GetParameterCommand({ Name: name, WithDecryption: true }))).Parameter?.Value;
  try {
    const value = await read();
    if (value) return value;
  } catch (error) {
    if ((error as Error).name !== 'ParameterNotFound') throw error;
  }
  try {
    await ssm.send(new PutParameterCommand({
      Name: name, Type: 'SecureString', Value: randomBytes(32).toString('hex'), Overwrite: false,
      Description: 'gridflow: signs the paging cursors of GET /incidents (generated on first use)',
    }));
  } catch (error) {
    // Another container generated it first: use theirs.
    if ((error as Error).name !== 'ParameterAlreadyExists') throw error;
  }
  const value = await read();
  if (!value) throw new Error(`SSM parameter ${name} holds no cursor key`);
  return value;
}

export function cursorKey(): Promise<string> {
  if (process.env[CURSOR_SECRET_ENV]) return Promise.resolve(cursorSecret());
  const name = process.env[CURSOR_KEY_PARAMETER_ENV];
  if (!name) return Promise.reject(new Error(`neither ${CURSOR_SECRET_ENV} nor ${CURSOR_KEY_PARAMETER_ENV} is set: nothing signs the paging cursors`));
  cached ??= fromParameter(name).catch((error: unknown) => { cached = undefined; throw error; });
  return cached;
}

/** Tests start from a cold container. */
export function forgetCursorKey(): void {
  cached = undefined;
}
