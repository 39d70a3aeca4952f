import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { cursorKey, forgetCursorKey } from '#commons/cursor-key.js';

const ssm = mockClient(SSMClient);
const named = (name: string) => Object.assign(new Error(name), { name });

async function freshCursorKey() {
  forgetCursorKey();
  return cursorKey;
}

describe('cursorKey (the key that signs paging cursors)', () => {
  const saved = { ...process.env };
  beforeEach(() => {
    ssm.reset();
    delete process.env.CURSOR_SECRET;
    process.env.CURSOR_KEY_PARAMETER = '/gridflow/t/cursor-key';
  });
  afterAll(() => { process.env = saved; });

  it('locally: CURSOR_SECRET, no SSM call', async () => {
    process.env.CURSOR_SECRET = 'local-key';
    expect(await (await freshCursorKey())()).toBe('local-key');
    expect(ssm.calls()).toHaveLength(0);
  });

  it('in the cloud: reads the SecureString with decryption once per container', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'stored-key' } });
    const cursorKey = await freshCursorKey();
    expect([await cursorKey(), await cursorKey()]).toEqual(['stored-key', 'stored-key']);
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(1);
    expect(ssm.commandCalls(GetParameterCommand)[0]!.args[0].input).toEqual({ Name: '/gridflow/t/cursor-key', WithDecryption: true });
  });

  it('generates 32 random bytes on first use, without overwriting, and reads back what was stored', async () => {
    ssm.on(GetParameterCommand).rejectsOnce(named('ParameterNotFound')).resolves({ Parameter: { Value: 'winner' } });
    ssm.on(PutParameterCommand).resolves({});
    expect(await (await freshCursorKey())()).toBe('winner');
    const put = ssm.commandCalls(PutParameterCommand)[0]!.args[0].input;
    expect(put).toMatchObject({ Name: '/gridflow/t/cursor-key', Type: 'SecureString', Overwrite: false });
    expect(put.Value).toMatch(/^[0-9a-f]{64}$/);
  });

  it('two first calls agree: the loser of the race uses the winner\'s key', async () => {
    ssm.on(GetParameterCommand).rejectsOnce(named('ParameterNotFound')).resolves({ Parameter: { Value: 'theirs' } });
    ssm.on(PutParameterCommand).rejects(named('ParameterAlreadyExists'));
    expect(await (await freshCursorKey())()).toBe('theirs');
  });

  it('a failure is not cached: the next call tries again', async () => {
    ssm.on(GetParameterCommand).rejectsOnce(named('ThrottlingException')).resolves({ Parameter: { Value: 'later' } });
    const cursorKey = await freshCursorKey();
    await expect(cursorKey()).rejects.toThrow('ThrottlingException');
    expect(await cursorKey()).toBe('later');
  });

  it('without either setting it says what is missing', async () => {
    delete process.env.CURSOR_KEY_PARAMETER;
    await expect((await freshCursorKey())()).rejects.toThrow(/neither CURSOR_SECRET nor CURSOR_KEY_PARAMETER/);
  });
});
