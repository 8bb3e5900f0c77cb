import { describe, expect, it } from 'vitest';
import { errorText, redactSecrets } from '../../../lib/wandb/redact.js';
import { decodeRunConfig, parsePythonJson } from '../../../lib/wandb/wire.js';

const KEY = '0123456789abcdef0123456789abcdef01234567';
const BASIC = Buffer.from(`api:${KEY}`).toString('base64');

describe('Function: redactSecrets()', () => {
  it.each([
    ['the key itself', `bad key ${KEY}`],
    ['the basic-auth header', `authorization=Basic ${BASIC} refused`],
    ['the base64 of api:<key> without its scheme', `token ${BASIC}`],
    ['a bearer token', `header Bearer ${KEY}x`],
    ['the URL-encoded key', `url ?key=${encodeURIComponent(KEY)}`],
  ])('removes %s', (_label, text) => {
    // Act
    const out = redactSecrets(text, [KEY]);
    // Assess
    expect(out).not.toContain(KEY);
    expect(out).not.toContain(BASIC);
    expect(out).toContain('[redacted]');
  });

  it('keeps ordinary text and ignores blank or tiny secrets', () => {
    // Act / Assess
    expect(redactSecrets('W&B answered HTTP 503', [KEY, undefined, '', 'ab'])).toBe('W&B answered HTTP 503');
    expect(errorText(new TypeError(`fetch failed for ${KEY}`), [KEY])).toBe(
      'TypeError: fetch failed for [redacted]',
    );
  });
});

describe("Function: parsePythonJson() (Python's json)", () => {
  it('reads bare NaN, Infinity and -Infinity as numbers, and leaves them alone inside strings', () => {
    // Act
    const value = parsePythonJson('{"a": NaN, "b": [Infinity, -Infinity, -1.5], "c": "NaN \\" -Infinity"}');
    // Assess
    expect(value).toEqual({
      a: Number.NaN,
      b: [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -1.5],
      c: 'NaN " -Infinity',
    });
  });

  it.each([['{"a": NaNx}'], ['{"a": nan}'], ['{"a": inf}'], ['NaN NaN'], ['{"a": 1,}']])(
    'still refuses what Python refuses: %s',
    (text) => {
      // Act / Assess
      expect(() => parsePythonJson(text)).toThrow(SyntaxError);
    },
  );

  it('lets decodeRunConfig keep a run whose config holds NaN', () => {
    // Act
    const config = decodeRunConfig(
      '{"stats": {"value": {"1": {"score": NaN}, "2": {"score": 5}}, "desc": null}}',
    );
    // Assess
    expect(config.stats).toEqual({ '1': { score: Number.NaN }, '2': { score: 5 } });
  });
});
