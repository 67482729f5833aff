/**
 * Access tokens: a token verified once is remembered (TokenIssuer's cache), so
 * these pin what the cache must not change: expiry still ends it, and a token
 * that differs by a byte is checked, and refused, on its own.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InvalidTokenError, TokenIssuer } from './auth.tokens.js';

const issuer = () => new TokenIssuer({ secret: 'a-test-secret-that-is-at-least-32-bytes', accessTtlSeconds: 60 });
const reasonOf = (work: () => unknown): string | undefined => {
  try {
    work();
    return undefined;
  } catch (error) {
    return error instanceof InvalidTokenError ? error.reason : `not an InvalidTokenError: ${String(error)}`;
  }
};

afterEach(() => {
  vi.useRealTimers();
});

describe('TokenIssuer.verifyAccess', () => {
  it('gives the same claims every time a token is presented', () => {
    const tokens = issuer();
    const token = tokens.signAccess({ sub: 'user-1', sid: 'session-1' });
    expect(tokens.verifyAccess(token)).toEqual({ sub: 'user-1', sid: 'session-1' });
    expect(tokens.verifyAccess(token)).toEqual({ sub: 'user-1', sid: 'session-1' });
  });

  it('refuses a remembered token once it expires', () => {
    vi.useFakeTimers({ now: new Date('2026-12-03T07:00:00Z') });
    const tokens = issuer();
    const token = tokens.signAccess({ sub: 'user-1', sid: 'session-1' });
    expect(tokens.verifyAccess(token).sub).toBe('user-1');
    vi.setSystemTime(new Date('2026-12-03T07:00:59Z'));
    expect(tokens.verifyAccess(token).sub).toBe('user-1');
    vi.setSystemTime(new Date('2026-12-03T07:01:00Z'));
    expect(reasonOf(() => tokens.verifyAccess(token))).toBe('expired');
    expect(reasonOf(() => tokens.verifyAccess(token))).toBe('expired');
  });

  it('checks a token that differs from a remembered one by a byte, and refuses it', () => {
    const tokens = issuer();
    const token = tokens.signAccess({ sub: 'user-1', sid: 'session-1' });
    tokens.verifyAccess(token);
    const last = token.at(-1) === 'A' ? 'B' : 'A';
    expect(reasonOf(() => tokens.verifyAccess(`${token.slice(0, -1)}${last}`))).toBe('invalid');
    expect(reasonOf(() => tokens.verifyAccess(token))).toBeUndefined();
  });

  it('refuses a token signed with another secret, however often it is presented', () => {
    const forged = new TokenIssuer({ secret: 'another-secret-that-is-at-least-32-bytes!' }).signAccess({ sub: 'user-1', sid: 'session-1' });
    const tokens = issuer();
    expect(reasonOf(() => tokens.verifyAccess(forged))).toBe('invalid');
    expect(reasonOf(() => tokens.verifyAccess(forged))).toBe('invalid');
  });

  it('still verifies after more tokens than it remembers went by', () => {
    const tokens = issuer();
    const all = Array.from({ length: 2100 }, (_, i) => tokens.signAccess({ sub: `user-${i}`, sid: `session-${i}` }));
    for (const token of all) tokens.verifyAccess(token);
    expect(tokens.verifyAccess(all[0]!)).toEqual({ sub: 'user-0', sid: 'session-0' });
    expect(tokens.verifyAccess(all.at(-1)!)).toEqual({ sub: 'user-2099', sid: 'session-2099' });
  });
});
