/**
 * The secrets a county file names (contract §10): JSON `{"url": "...", "signingSecret": "..."}` (DingTalk signs;
 * WeCom has none; the SMS provider adds its `accessKeyId`). In the cloud they live in Secrets Manager; locally
 * in `<data-dir>/secrets.json` as `{"<secret name>": {...}}` (GRIDFLOW_SECRETS_FILE names that file). Values (and,
 * locally, a secret's absence) are cached per process for a few minutes, so a rotated secret is picked up without
 * a deploy.
 */
import { readFile } from 'node:fs/promises';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';

export const SECRETS_FILE_ENV = 'GRIDFLOW_SECRETS_FILE';
const CACHE_MS = 5 * 60_000;

export const ChannelSecretSchema = z.object({
  url: z.url().optional(),
  signingSecret: z.string().min(1).optional(),
  accessKeyId: z.string().min(1).optional(),
});
export type ChannelSecret = z.infer<typeof ChannelSecretSchema>;

/** Locally, a channel whose secret is not in secrets.json is not set up on this machine (it is skipped). */
export class SecretNotConfigured extends Error {
  constructor(readonly secretName: string, file: string) {
    super(`secret ${secretName} is not in ${file}`);
    this.name = 'SecretNotConfigured';
  }
}

let client: SecretsManagerClient | undefined;
const cache = new Map<string, { at: number; value: Promise<ChannelSecret> }>();

async function load(name: string): Promise<ChannelSecret> {
  const file = process.env[SECRETS_FILE_ENV];
  let raw: unknown;
  if (file) {
    const all = JSON.parse(await readFile(file, 'utf8').catch(() => '{}')) as Record<string, unknown>;
    if (!(name in all)) throw new SecretNotConfigured(name, file);
    raw = all[name];
  } else {
    client ??= new SecretsManagerClient({});
    const out = await client.send(new GetSecretValueCommand({ SecretId: name }));
    raw = JSON.parse(out.SecretString ?? '{}');
  }
  const parsed = ChannelSecretSchema.safeParse(raw);
  // The message names the secret, never its content.
  if (!parsed.success) throw new Error(`secret ${name} is not {"url", "signingSecret"?, "accessKeyId"?} JSON`);
  return parsed.data;
}

export function channelSecret(name: string, now = Date.now()): Promise<ChannelSecret> {
  const hit = cache.get(name);
  if (hit && now - hit.at < CACHE_MS) return hit.value;
  const value = load(name);
  cache.set(name, { at: now, value });
  // A secret not set up on this machine is remembered as long as a value (the relay asks for every message);
  // any other failure is asked again next time.
  value.catch((error: unknown) => { if (!(error instanceof SecretNotConfigured)) cache.delete(name); });
  return value;
}

/** Tests and the local runtime start from a clean cache. */
export function forgetSecrets(): void {
  cache.clear();
}
