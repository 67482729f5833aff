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
        signals: { points: 600, durationSeconds: 60 },
        refresh: { points: 30, durationSeconds: 900 },
      },
      refreshGraceSeconds: 30,
    });
    expect(Object.isFrozen(env)).toBe(true);
  });

  it('turns a rate limit off with 0 and parses custom ones', () => {
    const env = parseEnv({ RATE_LIMIT_API: '0', RATE_LIMIT_MESSAGES: '10/5' });
    expect(env.rateLimits.api).toBeNull();
    expect(env.rateLimits.messages).toEqual({ points: 10, durationSeconds: 5 });
  });

  it('takes a refresh grace from 0 to 300 seconds', () => {
    expect(parseEnv({ REFRESH_GRACE_SECONDS: '0' }).refreshGraceSeconds).toBe(0);
    expect(parseEnv({ REFRESH_GRACE_SECONDS: '300' }).refreshGraceSeconds).toBe(300);
    expect(() => parseEnv({ REFRESH_GRACE_SECONDS: '301' })).toThrow(/REFRESH_GRACE_SECONDS must be from 0 to 300/);
    expect(() => parseEnv({ REFRESH_GRACE_SECONDS: '-1' })).toThrow(/REFRESH_GRACE_SECONDS must be a whole number/);
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

  it('configures native push only when its variables are set, and checks them', () => {
    expect(parseEnv({}).push).toEqual({ apns: null, fcm: null, coalesceMs: 3000 });
    const apns = { APNS_KEY_FILE: '/k.p8', APNS_KEY_ID: 'ABC123DEFG', APNS_TEAM_ID: 'TEAM123456' };
    expect(parseEnv({ ...apns, APNS_ENVIRONMENT: 'development', FCM_SERVICE_ACCOUNT_FILE: '/sa.json', PUSH_COALESCE_MS: '0' }).push).toEqual({
      apns: {
        keyFile: '/k.p8',
        keyId: 'ABC123DEFG',
        teamId: 'TEAM123456',
        environment: 'development',
        baseUrl: 'https://api.sandbox.push.apple.com',
        topic: undefined,
      },
      fcm: { serviceAccountFile: '/sa.json', baseUrl: 'https://fcm.googleapis.com', tokenUrl: undefined },
      coalesceMs: 0,
    });
    const problems = (source: Record<string, string>) => {
      try {
        parseEnv(source);
        return [];
      } catch (error) {
        return (error as ConfigError).problems;
      }
    };
    expect(problems({ APNS_KEY_FILE: '/k.p8' })).toEqual(['APNS_KEY_FILE, APNS_KEY_ID and APNS_TEAM_ID must be set together']);
    expect(problems({ ...apns, APNS_ENVIRONMENT: 'staging', APNS_BASE_URL: 'http://127.0.0.1:1', APNS_TOPIC: 'x' })).toHaveLength(3);
    expect(problems({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), FCM_SERVICE_ACCOUNT_FILE: '/sa.json', FCM_BASE_URL: 'http://fcm.local' })).toEqual([
      'FCM_BASE_URL must be an https origin like https://push.example.com (got "http://fcm.local")',
    ]);
    expect(problems({ FCM_BASE_URL: 'http://127.0.0.1:9', PUSH_COALESCE_MS: '-1' })).toEqual(['PUSH_COALESCE_MS must be a whole number, 0 or more (got "-1")']);
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
