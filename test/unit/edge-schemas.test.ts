/**
 * The edge's request schemas (functions/api/schemas.ts) and the one text rule they use
 * (functions/commons/text.ts), by property: whatever a client sends, a schema either refuses it (a 400 with
 * errors by path) or accepts a value that DynamoDB and every reader downstream can take. A value accepted
 * here and then refused by the table, the SDK or a strict JSON parser is what used to answer 500 or stop a
 * workflow.
 */
import fc from 'fast-check';
import { ActionBody, ListQuery, ReportBody, StatsQuery } from '#api/schemas.js';
import { safeLine, safeLines, text, textProblem, wellFormedJson } from '#commons/text.js';

const SINGLE_LINE_BAD = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const MULTI_LINE_BAD = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** Strings with everything that ever broke something: lone surrogates, controls, bidi overrides, CJK, astral. */
const hostileChar = fc.oneof(
  fc.constantFrom('\ud800', '\udfff', '\u0000', '\u0007', '\n', '\r', '\r\n', '\t', '\u0085', '\u2028', '\u202e', '\u2066', '\u007f', '\ufeff'),
  fc.constantFrom('详', '情', '：', 'a', ' ', '😀', 'é', '-', '0'),
  fc.string({ unit: 'binary', maxLength: 1 }),
);
const hostileString = (maxLength = 60) => fc.array(hostileChar, { maxLength }).map((parts) => parts.join(''));

/** Accepted values must be storable and printable: well-formed, and no control that forges a line. */
function expectSafeStrings(value: unknown, multiLineKeys: ReadonlySet<string>, key = ''): void {
  if (typeof value === 'string') {
    expect(value.isWellFormed()).toBe(true);
    expect((multiLineKeys.has(key) ? MULTI_LINE_BAD : SINGLE_LINE_BAD).test(value)).toBe(false);
  } else if (typeof value === 'number') {
    // DynamoDB numbers: 0, or a magnitude from 1e-130 to 9.99e125.
    expect(Number.isFinite(value)).toBe(true);
    if (value !== 0) expect(Math.abs(value)).toBeGreaterThanOrEqual(1e-130);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) expectSafeStrings(v, multiLineKeys, k);
  }
}

const MULTI = new Set(['description', 'note']);

describe('text()', () => {
  test('single-line text refuses lone surrogates and every control character, and accepts the rest', () => {
    const title = text({ max: 120 });
    fc.assert(fc.property(hostileString(), (s) => {
      const r = title.safeParse(s);
      const trimmed = s.trim();
      const ok = trimmed.length >= 1 && trimmed.length <= 120 && trimmed.isWellFormed() && !SINGLE_LINE_BAD.test(trimmed);
      expect(r.success).toBe(ok);
      if (r.success) expect(r.data).toBe(trimmed);
    }), { numRuns: 2000 });
  });

  test('multi-line text keeps line feeds and tabs, reads CR LF as LF, refuses a lone CR and other controls', () => {
    const note = text({ max: 2000, multiline: true });
    fc.assert(fc.property(hostileString(), (s) => {
      const r = note.safeParse(s);
      const normalized = s.replace(/\r\n/g, '\n').trim();
      const ok = normalized.length >= 1 && normalized.isWellFormed() && !MULTI_LINE_BAD.test(normalized);
      expect(r.success).toBe(ok);
      if (r.success) expect(r.data).toBe(normalized);
    }), { numRuns: 2000 });
    expect(note.safeParse('first line\r\nsecond\tcolumn').data).toBe('first line\nsecond\tcolumn');
  });

  test('the spoofed link line of the issue is refused in a title', () => {
    expect(ReportBody.safeParse({ category: 'c', gridId: 'g', title: 'Wall\n详情：http://evil.example', description: 'd' }).success).toBe(false);
    expect(textProblem('Wall\n详情')).toMatch(/single line/);
  });

  test('stored text goes out safe: well-formed, single-line fields on one line, JSON without lone surrogates', () => {
    fc.assert(fc.property(hostileString(), (s) => {
      const line = safeLine(s);
      expect(line.isWellFormed()).toBe(true);
      expect(SINGLE_LINE_BAD.test(line)).toBe(false);
      const lines = safeLines(s);
      expect(lines.isWellFormed()).toBe(true);
      expect(MULTI_LINE_BAD.test(lines)).toBe(false);
      const json = wellFormedJson({ s, nested: [s] });
      // No lone surrogate escaped into the JSON text: a strict parser (UTF-8 decoding) accepts it.
      expect(json).not.toMatch(/\\ud[89a-f][0-9a-f]{2}/i);
      expect(Buffer.from(json, 'utf8').toString('utf8')).toBe(json);
    }), { numRuns: 1000 });
  });
});

// -------------------------------------------------------------------------------------------------------

const id = fc.oneof(fc.constantFrom('north-01', 'conflict', 'a'), fc.string({ maxLength: 120 }), fc.constant('x'.repeat(3000)));
const isoish = fc.oneof(
  fc.constantFrom('9999-12-31T23:59:59-14:00', '0000-01-01T00:00:00+01:00', '2026-02-30T00:00:00Z', '2026-11-29T08:00:00+08:00',
    '+010000-01-01T00:00:00Z', '2999-01-01T00:00:00Z', '2026-11-29T08:00:00.123456789Z', 'yesterday'),
  fc.date({ min: new Date(-62167219200000 - 86_400_000), max: new Date(253402300799999 + 86_400_000), noInvalidDate: true })
    .chain((d) => fc.constantFrom(`${String(d.getUTCFullYear()).padStart(4, '0')}-01-01T00:00:00Z`, d.toISOString())),
);
const number = fc.oneof(fc.double(), fc.constantFrom(1e-131, -1e-131, 5e-324, -0, 90, -90, 180, 1e300, Number.NaN), fc.integer());
const anything = fc.oneof(fc.string({ maxLength: 5 }), number, fc.boolean(), fc.constant(null), fc.constant([]), fc.constant({}));

const reportBody = fc.record({
  category: id, gridId: id, title: hostileString(140), description: hostileString(200),
  location: fc.record({ lat: number, lng: number, address: hostileString() }, { requiredKeys: ['lat', 'lng'] }),
  reporter: fc.record({ name: hostileString(), phone: fc.oneof(fc.constant('13800001111'), fc.string({ maxLength: 25 })) }, { requiredKeys: [] }),
  occurredAt: isoish,
  resolvedOnSpot: fc.record({ note: hostileString() }),
  extra: anything,
}, { requiredKeys: ['category', 'gridId', 'title', 'description'] });

describe('request schemas accept only what the table and its readers can take', () => {
  test('report bodies', () => {
    fc.assert(fc.property(fc.oneof(reportBody, anything), (body) => {
      const r = ReportBody.safeParse(body);
      if (!r.success) {
        expect(r.error.issues.length).toBeGreaterThan(0);
        return;
      }
      expectSafeStrings(r.data, MULTI);
      for (const key of [r.data.category, r.data.gridId]) expect(Buffer.byteLength(key)).toBeLessThanOrEqual(100);
      if (r.data.occurredAt !== undefined) {
        // Written back by the API as toISOString: always the 24-character form with a four-digit year.
        expect(new Date(r.data.occurredAt).toISOString()).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        expect(Date.parse(r.data.occurredAt)).toBeLessThanOrEqual(Date.now() + 10 * 60_000);
      }
      if (r.data.location) {
        expect(Math.abs(r.data.location.lat)).toBeLessThanOrEqual(90);
        expect(Math.abs(r.data.location.lng)).toBeLessThanOrEqual(180);
      }
    }), { numRuns: 3000 });
  });

  test('action bodies', () => {
    const body = fc.record({
      action: fc.oneof(fc.constantFrom('acknowledge', 'comment', 'resolve', 'escalate', 'verify', 'reopen', 'reject'), fc.string()),
      note: hostileString(), expectedVersion: number, extra: anything,
    }, { requiredKeys: ['action'] });
    fc.assert(fc.property(fc.oneof(body, anything), (b) => {
      const r = ActionBody.safeParse(b);
      if (!r.success) return;
      expectSafeStrings(r.data, MULTI);
      if (r.data.expectedVersion !== undefined) expect(Number.isSafeInteger(r.data.expectedVersion)).toBe(true);
    }), { numRuns: 2000 });
  });

  test('list and stats queries, including prototype keys', () => {
    const query = fc.dictionary(
      fc.oneof(fc.constantFrom('status', 'level', 'townId', 'gridId', 'category', 'overdue', 'limit', 'cursor', 'from', 'to', '__proto__', 'constructor'), fc.string({ maxLength: 8 })),
      fc.oneof(hostileString(), isoish, fc.constantFrom('open', 'true', '0', '100', '101', '1e3')),
      { maxKeys: 4 },
    );
    fc.assert(fc.property(query, (raw) => {
      const q = Object.fromEntries(Object.entries(raw));
      const list = ListQuery.safeParse(q);
      if (list.success) {
        expectSafeStrings(list.data, MULTI);
        expect(list.data.limit).toBeGreaterThanOrEqual(1);
        expect(list.data.limit).toBeLessThanOrEqual(100);
      }
      const stats = StatsQuery.safeParse(q);
      if (stats.success) {
        for (const v of [stats.data.from, stats.data.to]) if (v) expect(new Date(v).toISOString()).toMatch(/^\d{4}-/);
      }
    }), { numRuns: 2000 });
    expect(ListQuery.safeParse(Object.fromEntries([['__proto__', 'x']])).success).toBe(false);
  });

  test('the edge values of the issue are each refused or made storable', () => {
    const base = { category: 'conflict', gridId: 'north-01', title: 'T', description: 'D' };
    expect(ReportBody.safeParse({ ...base, location: { lat: 1e-131, lng: 1e-131 } }).data?.location).toEqual({ lat: 0, lng: 0 });
    expect(ReportBody.safeParse({ ...base, occurredAt: '9999-12-31T23:59:59-14:00' }).success).toBe(false);
    expect(ReportBody.safeParse({ ...base, occurredAt: '0000-01-01T00:00:00+01:00' }).success).toBe(false);
    expect(ReportBody.safeParse({ ...base, occurredAt: new Date(Date.now() + 86_400_000).toISOString() }).success).toBe(false);
    expect(StatsQuery.safeParse({ to: '9999-12-31T23:59:59-14:00' }).success).toBe(false);
    expect(ReportBody.safeParse({ ...base, title: 'a\ud800' }).success).toBe(false);
  });
});
