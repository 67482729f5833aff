/**
 * The one place that reads `process.env`. Every variable is parsed and checked
 * at boot; all problems are reported together so an operator fixes them in one go.
 */

/** A per-window budget: `points` operations per `durationSeconds`. */
export interface RateLimit {
  points: number;
  durationSeconds: number;
}

export type NodeEnv = 'development' | 'production' | 'test';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Validated configuration. See README.md "Configuration" for each variable. */
export interface Env {
  readonly nodeEnv: NodeEnv;
  readonly isProduction: boolean;
  /** `PORT`, default 4000; 0 picks a free port (tests). */
  readonly port: number;
  /** `HOST`, default `0.0.0.0`. */
  readonly host: string;
  /** `DATABASE_URL`; undefined starts embedded PostgreSQL in `dataDir`. */
  readonly databaseUrl: string | undefined;
  /** `DATA_DIR`, default `.data`. */
  readonly dataDir: string;
  /** `UPLOAD_DIR`, default `uploads`. */
  readonly uploadDir: string;
  /** `JWT_SECRET`; undefined outside production: generated once and kept in `dataDir`. */
  readonly jwtSecret: string | undefined;
  readonly adminUsername: string | undefined;
  readonly adminPassword: string | undefined;
  /** `REDIS_URL`; undefined keeps pub/sub and counters in-process. */
  readonly redisUrl: string | undefined;
  /** `LOG_LEVEL`, default `info`. */
  readonly logLevel: LogLevel;
  /** `RATE_LIMIT_*`; null when turned off with `0`. */
  readonly rateLimits: {
    readonly api: RateLimit | null;
    readonly auth: RateLimit | null;
    readonly messages: RateLimit | null;
    readonly uploads: RateLimit | null;
    /** `RATE_LIMIT_GROUP_ADDS`, default 100/3600: strangers (no shared chat) one user may put into groups. */
    readonly groupAdds: RateLimit | null;
    /** `RATE_LIMIT_CONNECT`, default 30/60: WebSocket connections one user may open. */
    readonly connect: RateLimit | null;
    /** `RATE_LIMIT_USER_SEARCH`, default 30/60: `users(search:)` calls per user. */
    readonly userSearch: RateLimit | null;
    /** `RATE_LIMIT_DATA_EXPORT`, default 3/3600: data export links one user may ask for, and (counted apart) downloads of them. */
    readonly dataExport: RateLimit | null;
    /** `RATE_LIMIT_INVITES`, default 20/600: invite codes one user may try (chatInvitePreview, joinChatByInvite). */
    readonly invites: RateLimit | null;
    /** `RATE_LIMIT_INVITES_IP`, default 100/600: the same, per client address. */
    readonly invitesIp: RateLimit | null;
    /** `RATE_LIMIT_REPORTS`, default 20/3600: reports (reportMessage, reportUser) one user may file. */
    readonly reports: RateLimit | null;
  };
  /** `WS_MAX_PENDING_PER_IP`, default 50: sockets one IP may hold before `connection_init`; 0 is off. */
  readonly wsMaxPendingPerIp: number;
  /** `USER_STORAGE_QUOTA` in bytes, default 2 GB (2,000,000,000): what one user's uploads may hold in all; 0 is off. */
  readonly userStorageQuota: number;
  /** `MAX_RESPONSE_NODES`, default 20,000: list items one response may carry; 0 is off. */
  readonly maxResponseNodes: number;
  /** `MESSAGE_EDIT_WINDOW` in seconds, default 900 (15 minutes, as WhatsApp): how long a sender may edit a message; 0: never. */
  readonly messageEditWindowSeconds: number;
  /** `MESSAGE_DELETE_WINDOW` in seconds, default 172,800 (48 hours): how long a sender may delete a message for everyone; 0: never (group admins may at any time). */
  readonly messageDeleteWindowSeconds: number;
  /** `MAX_GROUP_MEMBERS`, default 1,024 (as WhatsApp): members of one group, the creator included; at least 2. */
  readonly maxGroupMembers: number;
  /**
   * `SCHEDULE_MIN_LEAD_SECONDS`, default 60: how far ahead scheduleMessage's
   * sendAt must be (at most a year ahead). Tests lower it to wait less.
   */
  readonly scheduleMinLeadSeconds: number;
  /** `METRICS_PORT`, default 9464; 0 picks a free port (tests). */
  readonly metricsPort: number;
  /** `METRICS_HOST`, default 127.0.0.1: Prometheus scrapes here, never on the API port. */
  readonly metricsHost: string;
  /** `TRUST_PROXY`: hop count or Express trust-proxy expression; unset trusts no proxy. */
  readonly trustProxy: string | number | undefined;
  /** `CORS_ORIGINS`, comma-separated; empty allows no cross-origin browser calls. */
  readonly corsOrigins: readonly string[];
  /** `ENABLE_INTROSPECTION`; default on outside production, off in production. */
  readonly introspection: boolean;
  /**
   * `VAPID_PUBLIC_KEY` / `VAPID_PRIVATE_KEY` (base64url, set together) and
   * `VAPID_SUBJECT` (mailto: or https:). Unset keys: generated once into `dataDir`.
   */
  readonly vapid: { readonly publicKey: string | undefined; readonly privateKey: string | undefined; readonly subject: string };
  /** `PUBLIC_URL` (origin, no trailing slash): base of signed file URLs; undefined uses each request's own origin. */
  readonly publicUrl: string | undefined;
  /** `FILE_URL_SECRET`; undefined: generated once and kept in `dataDir`. Set it (the same) on every instance. */
  readonly fileUrlSecret: string | undefined;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Source = Record<string, string | undefined>;

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const NODE_ENVS: readonly NodeEnv[] = ['development', 'production', 'test'];

/** Parses and validates a set of variables; throws one ConfigError naming every problem. */
export function parseEnv(source: Source): Env {
  const problems: string[] = [];
  const get = (name: string): string | undefined => {
    const value = source[name]?.trim();
    return value === '' ? undefined : value;
  };

  const nodeEnvRaw = get('NODE_ENV') ?? 'development';
  let nodeEnv: NodeEnv = 'development';
  if ((NODE_ENVS as readonly string[]).includes(nodeEnvRaw)) nodeEnv = nodeEnvRaw as NodeEnv;
  else problems.push(`NODE_ENV must be one of ${NODE_ENVS.join(', ')} (got "${nodeEnvRaw}")`);
  const isProduction = nodeEnv === 'production';

  const port = parsePort(get('PORT'), problems);

  const databaseUrl = get('DATABASE_URL');
  if (databaseUrl !== undefined && !isPostgresUrl(databaseUrl)) {
    problems.push('DATABASE_URL must be a postgres:// or postgresql:// URL with a host');
  }

  const jwtSecret = get('JWT_SECRET');
  if (isProduction && jwtSecret === undefined) {
    problems.push('JWT_SECRET is required when NODE_ENV=production');
  } else if (jwtSecret !== undefined && Buffer.byteLength(jwtSecret) < 32) {
    problems.push('JWT_SECRET must be at least 32 bytes');
  }

  const adminUsername = get('ADMIN_USERNAME');
  const adminPassword = source['ADMIN_PASSWORD'] === '' ? undefined : source['ADMIN_PASSWORD'];
  if ((adminUsername === undefined) !== (adminPassword === undefined)) {
    problems.push('ADMIN_USERNAME and ADMIN_PASSWORD must be set together');
  }

  const redisUrl = get('REDIS_URL');
  if (redisUrl !== undefined && !/^rediss?:\/\/[^/]/.test(redisUrl)) {
    problems.push('REDIS_URL must be a redis:// or rediss:// URL');
  }

  const logLevelRaw = (get('LOG_LEVEL') ?? 'info').toLowerCase();
  let logLevel: LogLevel = 'info';
  if ((LOG_LEVELS as readonly string[]).includes(logLevelRaw)) logLevel = logLevelRaw as LogLevel;
  else problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${logLevelRaw}")`);

  const rateLimits = {
    api: parseRateLimit('RATE_LIMIT_API', get('RATE_LIMIT_API') ?? '100/900', problems),
    auth: parseRateLimit('RATE_LIMIT_AUTH', get('RATE_LIMIT_AUTH') ?? '5/900', problems),
    messages: parseRateLimit('RATE_LIMIT_MESSAGES', get('RATE_LIMIT_MESSAGES') ?? '60/60', problems),
    uploads: parseRateLimit('RATE_LIMIT_UPLOADS', get('RATE_LIMIT_UPLOADS') ?? '10/900', problems),
    groupAdds: parseRateLimit('RATE_LIMIT_GROUP_ADDS', get('RATE_LIMIT_GROUP_ADDS') ?? '100/3600', problems),
    connect: parseRateLimit('RATE_LIMIT_CONNECT', get('RATE_LIMIT_CONNECT') ?? '30/60', problems),
    userSearch: parseRateLimit('RATE_LIMIT_USER_SEARCH', get('RATE_LIMIT_USER_SEARCH') ?? '30/60', problems),
    dataExport: parseRateLimit('RATE_LIMIT_DATA_EXPORT', get('RATE_LIMIT_DATA_EXPORT') ?? '3/3600', problems),
    invites: parseRateLimit('RATE_LIMIT_INVITES', get('RATE_LIMIT_INVITES') ?? '20/600', problems),
    invitesIp: parseRateLimit('RATE_LIMIT_INVITES_IP', get('RATE_LIMIT_INVITES_IP') ?? '100/600', problems),
    reports: parseRateLimit('RATE_LIMIT_REPORTS', get('RATE_LIMIT_REPORTS') ?? '20/3600', problems),
  };
  const wsMaxPendingPerIp = parseCount('WS_MAX_PENDING_PER_IP', get('WS_MAX_PENDING_PER_IP'), 50, problems);
  const userStorageQuota = parseCount('USER_STORAGE_QUOTA', get('USER_STORAGE_QUOTA'), 2_000_000_000, problems);
  const maxResponseNodes = parseCount('MAX_RESPONSE_NODES', get('MAX_RESPONSE_NODES'), 20_000, problems);
  const messageEditWindowSeconds = parseCount('MESSAGE_EDIT_WINDOW', get('MESSAGE_EDIT_WINDOW'), 15 * 60, problems);
  const messageDeleteWindowSeconds = parseCount('MESSAGE_DELETE_WINDOW', get('MESSAGE_DELETE_WINDOW'), 48 * 3600, problems);
  const maxGroupMembers = parseCount('MAX_GROUP_MEMBERS', get('MAX_GROUP_MEMBERS'), 1024, problems);
  // A group is its creator and at least one other; the cap is also the largest `members(first:)` page.
  if (maxGroupMembers < 2) problems.push(`MAX_GROUP_MEMBERS must be at least 2 (got "${get('MAX_GROUP_MEMBERS')}")`);
  const scheduleMinLeadSeconds = parseCount('SCHEDULE_MIN_LEAD_SECONDS', get('SCHEDULE_MIN_LEAD_SECONDS'), 60, problems);
  const metricsPortRaw = get('METRICS_PORT');
  const metricsPort = metricsPortRaw === undefined ? 9464 : parsePort(metricsPortRaw, problems, 'METRICS_PORT');

  const trustProxyRaw = get('TRUST_PROXY');
  const trustProxy = trustProxyRaw === undefined ? undefined : /^\d+$/.test(trustProxyRaw) ? Number(trustProxyRaw) : trustProxyRaw;

  const corsOrigins = (get('CORS_ORIGINS') ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o !== '');
  for (const origin of corsOrigins) {
    if (!/^https?:\/\/[^/]+$/.test(origin)) problems.push(`CORS_ORIGINS: "${origin}" is not an origin like https://app.example.com`);
  }

  const introspection = parseBoolean('ENABLE_INTROSPECTION', get('ENABLE_INTROSPECTION'), !isProduction, problems);

  const vapidPublicKey = get('VAPID_PUBLIC_KEY');
  const vapidPrivateKey = get('VAPID_PRIVATE_KEY');
  if ((vapidPublicKey === undefined) !== (vapidPrivateKey === undefined)) {
    problems.push('VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY must be set together');
  }
  const vapidSubject = get('VAPID_SUBJECT') ?? 'mailto:admin@payamak.invalid';
  if (!/^(mailto:|https:\/\/)\S+$/.test(vapidSubject)) problems.push('VAPID_SUBJECT must be a mailto: or https:// URL');
  const publicUrl = get('PUBLIC_URL')?.replace(/\/+$/, '');
  if (publicUrl !== undefined && !/^https?:\/\/[^/?#]+(\/[^?#]*)?$/.test(publicUrl)) {
    problems.push('PUBLIC_URL must be an http(s) URL like https://chat.example.com');
  }
  const fileUrlSecret = get('FILE_URL_SECRET');
  if (fileUrlSecret !== undefined && Buffer.byteLength(fileUrlSecret) < 32) problems.push('FILE_URL_SECRET must be at least 32 bytes');

  if (problems.length > 0) throw new ConfigError(problems);

  return Object.freeze({
    nodeEnv,
    isProduction,
    port,
    host: get('HOST') ?? '0.0.0.0',
    databaseUrl,
    dataDir: get('DATA_DIR') ?? '.data',
    uploadDir: get('UPLOAD_DIR') ?? 'uploads',
    jwtSecret,
    adminUsername,
    adminPassword,
    redisUrl,
    logLevel,
    rateLimits: Object.freeze(rateLimits),
    trustProxy,
    corsOrigins: Object.freeze(corsOrigins),
    introspection,
    vapid: Object.freeze({ publicKey: vapidPublicKey, privateKey: vapidPrivateKey, subject: vapidSubject }),
    publicUrl,
    fileUrlSecret,
    wsMaxPendingPerIp,
    userStorageQuota,
    maxResponseNodes,
    messageEditWindowSeconds,
    messageDeleteWindowSeconds,
    maxGroupMembers,
    scheduleMinLeadSeconds,
    metricsPort,
    metricsHost: get('METRICS_HOST') ?? '127.0.0.1',
  });
}

/** Reads the process environment. Only call from entry points. */
export function loadEnv(): Env {
  return parseEnv(process.env);
}

function parsePort(raw: string | undefined, problems: string[], name = 'PORT'): number {
  if (raw === undefined) return 4000;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) {
    problems.push(`${name} must be an integer from 0 to 65535 (got "${raw}")`);
    return 4000;
  }
  return port;
}

/** A non-negative whole number; 0 usually turns the limit off. */
function parseCount(name: string, raw: string | undefined, fallback: number, problems: string[]): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    problems.push(`${name} must be a whole number, 0 or more (got "${raw}")`);
    return fallback;
  }
  return Number(raw);
}

function isPostgresUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    return (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** `count/seconds`, or `0` for off. */
function parseRateLimit(name: string, raw: string, problems: string[]): RateLimit | null {
  if (raw === '0') return null;
  const match = /^(\d+)\/(\d+)$/.exec(raw);
  const points = Number(match?.[1]);
  const durationSeconds = Number(match?.[2]);
  if (!match || points < 1 || durationSeconds < 1) {
    problems.push(`${name} must be COUNT/SECONDS with both at least 1, or 0 to turn it off (got "${raw}")`);
    return null;
  }
  return { points, durationSeconds };
}

function parseBoolean(name: string, raw: string | undefined, fallback: boolean, problems: string[]): boolean {
  if (raw === undefined) return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  problems.push(`${name} must be true or false (got "${raw}")`);
  return fallback;
}
