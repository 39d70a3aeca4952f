import { GridflowError } from '#domain/errors.js';
import { cursorBinding, cursorSecret, decodeCursor, encodeCursor } from '#storage/cursor.js';

const secret = 'test-secret-0123456789';
const key = { pk: 'INC#inc-1', sk: 'INCIDENT', gsiGridOpen: 'heishui-09', gsiDeadline: '2025-03-02T00:00:00.000Z#inc-1' };
const binding = cursorBinding({ index: 'gridOpen', partition: 'heishui-09', ascending: true, filters: { category: 'conflict' } });

function rejection(fn: () => unknown): GridflowError {
  try {
    fn();
  } catch (e) {
    if (e instanceof GridflowError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

describe('paging cursors', () => {
  it('round-trips the last key and looks opaque (URL-safe, no readable key)', () => {
    const cursor = encodeCursor(key, binding, secret);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(cursor).not.toContain('INC#');
    expect(decodeCursor(cursor, binding, secret)).toEqual(key);
  });

  it('refuses a cursor with any single character changed', () => {
    const cursor = encodeCursor(key, binding, secret);
    for (let i = 0; i < cursor.length; i++) {
      if (cursor[i] === '.') continue;
      const forged = cursor.slice(0, i) + (cursor[i] === 'A' ? 'B' : 'A') + cursor.slice(i + 1);
      expect(() => decodeCursor(forged, binding, secret)).toThrow(GridflowError);
    }
  });

  it('refuses a forged payload re-encoded without the secret', () => {
    const cursor = encodeCursor(key, binding, secret);
    const [, signature] = cursor.split('.');
    const payload = Buffer.from(JSON.stringify({ ...key, gsiGridOpen: 'other-grid' })).toString('base64url');
    expect(() => decodeCursor(`${payload}.${signature}`, binding, secret)).toThrow(GridflowError);
    expect(() => decodeCursor(encodeCursor(key, binding, 'another-secret'), binding, secret)).toThrow(GridflowError);
  });

  it('refuses a cursor issued for another list', () => {
    const cursor = encodeCursor(key, binding, secret);
    const others = [
      cursorBinding({ index: 'gridOpen', partition: 'heishui-10', ascending: true, filters: { category: 'conflict' } }),
      cursorBinding({ index: 'gridAll', partition: 'heishui-09', ascending: true, filters: { category: 'conflict' } }),
      cursorBinding({ index: 'gridOpen', partition: 'heishui-09', ascending: true, filters: { category: 'noise' } }),
      cursorBinding({ index: 'gridOpen', partition: 'heishui-09', ascending: true }),
      cursorBinding({ index: 'gridOpen', partition: 'heishui-09', ascending: false, filters: { category: 'conflict' } }),
    ];
    for (const other of others) {
      expect(other).not.toBe(binding);
      expect(() => decodeCursor(cursor, other, secret)).toThrow(GridflowError);
    }
  });

  it('binds filters regardless of their order or undefined members', () => {
    const a = cursorBinding({ index: 'countyAll', partition: 'c', filters: { status: 'open', level: 'town' } });
    const b = cursorBinding({ index: 'countyAll', partition: 'c', filters: { level: 'town', gridId: undefined, status: 'open' } });
    expect(a).toBe(b);
  });

  it.each([
    ['empty', ''],
    ['truncated', () => encodeCursor(key, binding, secret).slice(0, -3)],
    ['payload only', () => encodeCursor(key, binding, secret).split('.')[0]],
    ['garbage', 'not a cursor!'],
    ['too long', 'a'.repeat(5000) + '.' + 'b'.repeat(43)],
  ])('answers a %s cursor with a 400 on path "cursor"', (_label, make) => {
    const cursor = typeof make === 'function' ? String(make()) : make;
    const e = rejection(() => decodeCursor(cursor, binding, secret));
    expect(e.status).toBe(400);
    expect(e.type).toBe('validation');
    expect(e.errors).toEqual([{ path: 'cursor', message: expect.any(String) }]);
  });

  it('refuses a correctly signed payload that is not a key object', () => {
    for (const bad of [[1, 2], 'text', null, { a: { nested: true } }]) {
      const cursor = encodeCursor(bad as unknown as Record<string, unknown>, binding, secret);
      expect(rejection(() => decodeCursor(cursor, binding, secret)).status).toBe(400);
    }
  });

  it('reads its secret from CURSOR_SECRET and fails clearly without it', () => {
    const saved = process.env.CURSOR_SECRET;
    try {
      delete process.env.CURSOR_SECRET;
      expect(() => cursorSecret()).toThrow(/CURSOR_SECRET/);
      process.env.CURSOR_SECRET = 's3cret';
      expect(cursorSecret()).toBe('s3cret');
    } finally {
      if (saved === undefined) delete process.env.CURSOR_SECRET;
      else process.env.CURSOR_SECRET = saved;
    }
  });
});
