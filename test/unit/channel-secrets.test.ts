/**
 * Channel secrets as the local runtime reads them (functions/channels/secrets.ts): from the secrets file, cached
 * for a few minutes whether the secret is there or not set up, while any other failure is asked again at once.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { channelSecret, forgetSecrets, SecretNotConfigured, SECRETS_FILE_ENV } from '#channels/secrets.js';

const FIVE_MINUTES = 5 * 60_000;
let file: string;

beforeEach(() => {
  file = join(mkdtempSync(join(tmpdir(), 'gridflow-secrets-')), 'secrets.json');
  process.env[SECRETS_FILE_ENV] = file;
  forgetSecrets();
});
afterAll(() => { delete process.env[SECRETS_FILE_ENV]; });

test('a secret not set up is remembered as long as a value: one read of the file per secret and period', async () => {
  writeFileSync(file, JSON.stringify({}));
  const t0 = 1_000_000;
  await expect(channelSecret('wecom-town', t0)).rejects.toBeInstanceOf(SecretNotConfigured);
  writeFileSync(file, JSON.stringify({ 'wecom-town': { url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k' } }));
  // Still within the period: the absence is remembered (the relay asks for every message).
  await expect(channelSecret('wecom-town', t0 + FIVE_MINUTES - 1)).rejects.toBeInstanceOf(SecretNotConfigured);
  // After it, the file is read again.
  await expect(channelSecret('wecom-town', t0 + FIVE_MINUTES)).resolves.toEqual({ url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k' });
});

test('any other failure is not remembered: a malformed secret mended in the file is read at the next call', async () => {
  writeFileSync(file, JSON.stringify({ 'dingtalk-town': { url: 'not a url' } }));
  const t0 = 2_000_000;
  const malformed = await channelSecret('dingtalk-town', t0).catch((e: unknown) => e);
  expect(malformed).toBeInstanceOf(Error);
  expect(malformed).not.toBeInstanceOf(SecretNotConfigured);
  expect((malformed as Error).message).not.toContain('not a url'); // names the secret, never its content
  writeFileSync(file, JSON.stringify({ 'dingtalk-town': { url: 'https://oapi.dingtalk.com/robot/send?access_token=t', signingSecret: 'SEC1' } }));
  await expect(channelSecret('dingtalk-town', t0 + 1)).resolves.toEqual({ url: 'https://oapi.dingtalk.com/robot/send?access_token=t', signingSecret: 'SEC1' });
});
