import { describe, expect, it } from 'vitest';
import { ConfigError, parseEnv } from './env.js';

describe('parseEnv', () => {
  it('applies the documented defaults', () => {
    const env = parseEnv({});
    expect(env).toMatchObject({
      nodeEnv: 'development',
      port: 4000,
      databaseUrl: undefined,
      dataDir: '.data',
      uploadDir: 'uploads',
      logLevel: 'info',
      introspection: true,
      corsOrigins: [],
      maxGroupMembers: 1024,
      rateLimits: {
        api: { points: 100, durationSeconds: 900 },
        auth: { points: 5, durationSeconds: 900 },
        messages: { points: 60, durationSeconds: 60 },
        uploads: { points: 10, durationSeconds: 900 },
        reports: { points: 20, durationSeconds: 3600 },
      },
    });
    expect(Object.isFrozen(env)).toBe(true);
  });

  it('turns a rate limit off with 0 and parses custom ones', () => {
    const env = parseEnv({ RATE_LIMIT_API: '0', RATE_LIMIT_MESSAGES: '10/5' });
    expect(env.rateLimits.api).toBeNull();
    expect(env.rateLimits.messages).toEqual({ points: 10, durationSeconds: 5 });
  });

  it('lists every problem at once', () => {
    let caught: unknown;
    try {
      parseEnv({
        NODE_ENV: 'production',
        PORT: '99999',
        DATABASE_URL: 'mysql://x',
        RATE_LIMIT_API: 'lots',
        RATE_LIMIT_AUTH: '5/0',
        LOG_LEVEL: 'loud',
        ADMIN_USERNAME: 'root',
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const problems = (caught as ConfigError).problems;
    expect(problems).toHaveLength(7);
    expect(problems.join('\n')).toMatch(/PORT.*99999/);
    expect(problems.join('\n')).toMatch(/DATABASE_URL/);
    expect(problems.join('\n')).toMatch(/JWT_SECRET is required/);
    expect(problems.join('\n')).toMatch(/RATE_LIMIT_API.*lots/);
    expect(problems.join('\n')).toMatch(/RATE_LIMIT_AUTH.*5\/0/);
    expect(problems.join('\n')).toMatch(/LOG_LEVEL/);
    expect(problems.join('\n')).toMatch(/ADMIN_USERNAME and ADMIN_PASSWORD/);
    expect((caught as Error).message).toMatch(/^Invalid configuration:\n {2}- /);
  });

  it('takes MAX_GROUP_MEMBERS of 2 or more', () => {
    expect(parseEnv({ MAX_GROUP_MEMBERS: '256' }).maxGroupMembers).toBe(256);
    expect(() => parseEnv({ MAX_GROUP_MEMBERS: '1' })).toThrow(/MAX_GROUP_MEMBERS must be at least 2/);
    expect(() => parseEnv({ MAX_GROUP_MEMBERS: 'many' })).toThrow(/MAX_GROUP_MEMBERS must be a whole number/);
  });

  it('requires a JWT secret of 32 bytes or more', () => {
    expect(() => parseEnv({ JWT_SECRET: 'short' })).toThrow(/at least 32 bytes/);
    expect(parseEnv({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) }).jwtSecret).toBe('x'.repeat(32));
  });

  it('turns introspection off in production unless asked for', () => {
    const secret = { JWT_SECRET: 'x'.repeat(32), NODE_ENV: 'production' };
    expect(parseEnv(secret).introspection).toBe(false);
    expect(parseEnv({ ...secret, ENABLE_INTROSPECTION: 'true' }).introspection).toBe(true);
  });

  it('accepts PORT 0 (pick a free port) and rejects non-numbers', () => {
    expect(parseEnv({ PORT: '0' }).port).toBe(0);
    expect(() => parseEnv({ PORT: '80a' })).toThrow(/PORT/);
  });
});

describe('parseEnv: media', () => {
  it('takes PUBLIC_URL without its trailing slash, and FILE_URL_SECRET of 32 bytes or more', () => {
    const env = parseEnv({ PUBLIC_URL: 'https://chat.example.com/', FILE_URL_SECRET: 'f'.repeat(32) });
    expect(env).toMatchObject({ publicUrl: 'https://chat.example.com', fileUrlSecret: 'f'.repeat(32) });
    expect(parseEnv({})).toMatchObject({ publicUrl: undefined, fileUrlSecret: undefined });
    expect(() => parseEnv({ PUBLIC_URL: 'chat.example.com' })).toThrow(/PUBLIC_URL/);
    expect(() => parseEnv({ PUBLIC_URL: 'https://x.com/?a=1' })).toThrow(/PUBLIC_URL/);
    expect(() => parseEnv({ FILE_URL_SECRET: 'short' })).toThrow(/FILE_URL_SECRET must be at least 32 bytes/);
  });
});
