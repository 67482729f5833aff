import { pino, type Logger } from 'pino';
import type { Env } from '../config/env.js';

export type { Logger };

/**
 * The root logger. JSON lines in production; pino-pretty in development when a
 * person is watching a terminal. Secrets never reach it: the redact list is a
 * second line of defence behind the rule of not logging them at all.
 */
export function createLogger(env: Pick<Env, 'logLevel' | 'isProduction' | 'nodeEnv'>): Logger {
  const pretty = !env.isProduction && env.nodeEnv !== 'test' && process.stdout.isTTY === true;
  return pino({
    level: env.logLevel,
    base: { service: 'payamak' },
    redact: {
      paths: [
        'password',
        '*.password',
        '*.currentPassword',
        '*.newPassword',
        'token',
        '*.token',
        '*.refreshToken',
        '*.accessToken',
        'req.headers.authorization',
        'headers.authorization',
      ],
      censor: '[redacted]',
    },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' } } } : {}),
  });
}
