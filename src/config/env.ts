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
    /** `RATE_LIMIT_SIGNALS`, default 600/60: typing and receipts (setTyping, markDelivered, markRead, updateMessageStatus) per user, instead of `api`. */
    readonly signals: RateLimit | null;
    /** `RATE_LIMIT_REFRESH`, default 30/900: refreshes per session with a token we know, instead of `api` and `auth`. */
    readonly refresh: RateLimit | null;
    /** `RATE_LIMIT_LINK_PREVIEWS`, default 30/600: link previews the server fetches for one sender; past it, messages go without one. */
    readonly linkPreviews: RateLimit | null;
  };
  /**
   * `LINK_PREVIEW_TIMEOUT_MS`, default 5,000 (at most 60,000): how long fetching a
   * link's page and its image may take in all; longer, and there is no preview. 0 turns link previews off.
   */
  readonly linkPreviewTimeoutMs: number;
  /**
   * `REFRESH_GRACE_SECONDS`, default 30, at most 300: how long a rotated refresh
   * token still answers a retry (its answer was lost) with a new pair instead of
   * ending the session as reuse; 0 turns the grace off.
   */
  readonly refreshGraceSeconds: number;
  /** `WS_MAX_PENDING_PER_IP`, default 50: sockets one IP may hold before `connection_init`; 0 is off. */
  readonly wsMaxPendingPerIp: number;
  /** `USER_STORAGE_QUOTA` in bytes, default 2 GB (2,000,000,000): what one user's uploads may hold in all; 0 is off. */
  readonly userStorageQuota: number;
  /** `MAX_UNFINISHED_UPLOADS`, default 5: resumable uploads (createUpload) one user may have unfinished at once; 0 is off. */
  readonly maxUnfinishedUploads: number;
  /** `MAX_UNFINISHED_UPLOAD_BYTES`, default 500 MB (500,000,000): bytes one user's unfinished resumable uploads may declare in all; 0 is off. */
  readonly maxUnfinishedUploadBytes: number;
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
  /** Native pushes to devices (README, "Mobile apps"). */
  readonly push: PushEnv;
}

/** APNs token authentication: `APNS_KEY_FILE`, `APNS_KEY_ID` and `APNS_TEAM_ID`, set together. */
export interface ApnsEnv {
  /** `APNS_KEY_FILE`: the team's .p8 signing key (PEM). */
  readonly keyFile: string;
  /** `APNS_KEY_ID`: the key's 10-character id. */
  readonly keyId: string;
  /** `APNS_TEAM_ID`: the 10-character team id. */
  readonly teamId: string;
  /** `APNS_ENVIRONMENT`, default `production`; `development` is Apple's sandbox. */
  readonly environment: 'production' | 'development';
  /** `APNS_BASE_URL`, default Apple's host for the environment; tests point it at a fake. */
  readonly baseUrl: string;
  /** `APNS_TOPIC`: the bundle id for devices registered without an appId. */
  readonly topic: string | undefined;
}

/** FCM HTTP v1 with a service account: `FCM_SERVICE_ACCOUNT_FILE`. */
export interface FcmEnv {
  /** `FCM_SERVICE_ACCOUNT_FILE`: the service account's JSON key (project_id, client_email, private_key). */
  readonly serviceAccountFile: string;
  /** `FCM_BASE_URL`, default `https://fcm.googleapis.com`. */
  readonly baseUrl: string;
  /** `FCM_TOKEN_URL`: the OAuth2 token endpoint; default the key's `token_uri`. */
  readonly tokenUrl: string | undefined;
}

export interface PushEnv {
  /** Null when APNs is not configured: APNS devices may register but get nothing. */
  readonly apns: ApnsEnv | null;
  /** Null when FCM is not configured: FCM devices may register but get nothing. */
  readonly fcm: FcmEnv | null;
  /** `PUSH_COALESCE_MS`, default 3,000: at most one push per chat per device this often; 0 is off. */
  readonly coalesceMs: number;
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
    signals: parseRateLimit('RATE_LIMIT_SIGNALS', get('RATE_LIMIT_SIGNALS') ?? '600/60', problems),
    refresh: parseRateLimit('RATE_LIMIT_REFRESH', get('RATE_LIMIT_REFRESH') ?? '30/900', problems),
    linkPreviews: parseRateLimit('RATE_LIMIT_LINK_PREVIEWS', get('RATE_LIMIT_LINK_PREVIEWS') ?? '30/600', problems),
  };
  const linkPreviewTimeoutMs = parseCount('LINK_PREVIEW_TIMEOUT_MS', get('LINK_PREVIEW_TIMEOUT_MS'), 5000, problems);
  if (linkPreviewTimeoutMs > 60_000) problems.push(`LINK_PREVIEW_TIMEOUT_MS must be from 0 to 60000 (got "${get('LINK_PREVIEW_TIMEOUT_MS')}")`);
  const refreshGraceSeconds = parseCount('REFRESH_GRACE_SECONDS', get('REFRESH_GRACE_SECONDS'), 30, problems);
  // Longer, and a stolen token's reuse would go unnoticed for minutes.
  if (refreshGraceSeconds > 300) problems.push(`REFRESH_GRACE_SECONDS must be from 0 to 300 (got "${get('REFRESH_GRACE_SECONDS')}")`);
  const wsMaxPendingPerIp = parseCount('WS_MAX_PENDING_PER_IP', get('WS_MAX_PENDING_PER_IP'), 50, problems);
  const userStorageQuota = parseCount('USER_STORAGE_QUOTA', get('USER_STORAGE_QUOTA'), 2_000_000_000, problems);
  const maxUnfinishedUploads = parseCount('MAX_UNFINISHED_UPLOADS', get('MAX_UNFINISHED_UPLOADS'), 5, problems);
  const maxUnfinishedUploadBytes = parseCount('MAX_UNFINISHED_UPLOAD_BYTES', get('MAX_UNFINISHED_UPLOAD_BYTES'), 500_000_000, problems);
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

  const push = parsePush(get, isProduction, problems);

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
    refreshGraceSeconds,
    linkPreviewTimeoutMs,
    trustProxy,
    corsOrigins: Object.freeze(corsOrigins),
    introspection,
    vapid: Object.freeze({ publicKey: vapidPublicKey, privateKey: vapidPrivateKey, subject: vapidSubject }),
    publicUrl,
    fileUrlSecret,
    push,
    wsMaxPendingPerIp,
    userStorageQuota,
    maxUnfinishedUploads,
    maxUnfinishedUploadBytes,
    maxResponseNodes,
    messageEditWindowSeconds,
    messageDeleteWindowSeconds,
    maxGroupMembers,
    scheduleMinLeadSeconds,
    metricsPort,
    metricsHost: get('METRICS_HOST') ?? '127.0.0.1',
  });
}

const APNS_HOSTS = { production: 'https://api.push.apple.com', development: 'https://api.sandbox.push.apple.com' } as const;

function parsePush(get: (name: string) => string | undefined, isProduction: boolean, problems: string[]): PushEnv {
  const baseUrl = (name: string, fallback: string, { https = isProduction }: { https?: boolean } = {}): string => {
    const raw = get(name)?.replace(/\/+$/, '') ?? fallback;
    if (!(https ? /^https:\/\/[^/?#]+$/ : /^https?:\/\/[^/?#]+$/).test(raw)) {
      problems.push(`${name} must be an ${https ? 'https' : 'http(s)'} origin like https://push.example.com (got "${raw}")`);
    }
    return raw;
  };
  const apnsVars = ['APNS_KEY_FILE', 'APNS_KEY_ID', 'APNS_TEAM_ID'].map((name) => get(name));
  const [keyFile, keyId, teamId] = apnsVars;
  let apns: ApnsEnv | null = null;
  if (apnsVars.some((v) => v !== undefined) && apnsVars.some((v) => v === undefined)) {
    problems.push('APNS_KEY_FILE, APNS_KEY_ID and APNS_TEAM_ID must be set together');
  }
  const environmentRaw = get('APNS_ENVIRONMENT') ?? 'production';
  if (environmentRaw !== 'production' && environmentRaw !== 'development') {
    problems.push(`APNS_ENVIRONMENT must be production or development (got "${environmentRaw}")`);
  }
  const environment = environmentRaw === 'development' ? 'development' : 'production';
  // HTTP/2 to APNs is always over TLS: a fake in tests gets a test CA, never cleartext.
  const apnsBase = baseUrl('APNS_BASE_URL', APNS_HOSTS[environment], { https: true });
  const topic = get('APNS_TOPIC');
  if (topic !== undefined && !isAppId(topic)) problems.push('APNS_TOPIC must be a bundle id like com.example.app');
  if (keyFile !== undefined && keyId !== undefined && teamId !== undefined) {
    if (!/^[A-Z0-9]{10}$/.test(keyId)) problems.push('APNS_KEY_ID must be the 10-character key id');
    if (!/^[A-Z0-9]{10}$/.test(teamId)) problems.push('APNS_TEAM_ID must be the 10-character team id');
    apns = { keyFile, keyId, teamId, environment, baseUrl: apnsBase, topic };
  }
  const serviceAccountFile = get('FCM_SERVICE_ACCOUNT_FILE');
  const fcmBase = baseUrl('FCM_BASE_URL', 'https://fcm.googleapis.com');
  const tokenUrl = get('FCM_TOKEN_URL');
  if (tokenUrl !== undefined && !(isProduction ? /^https:\/\/[^/?#]+\/\S*$/ : /^https?:\/\/[^/?#]+\/\S*$/).test(tokenUrl)) {
    problems.push(`FCM_TOKEN_URL must be an ${isProduction ? 'https' : 'http(s)'} URL like https://oauth2.googleapis.com/token`);
  }
  const fcm = serviceAccountFile === undefined ? null : { serviceAccountFile, baseUrl: fcmBase, tokenUrl };
  const coalesceMs = parseCount('PUSH_COALESCE_MS', get('PUSH_COALESCE_MS'), 3000, problems);
  return Object.freeze({ apns: apns && Object.freeze(apns), fcm: fcm && Object.freeze(fcm), coalesceMs });
}

/** A reverse-DNS app id (bundle id, package name): what APNs takes as a topic. */
export function isAppId(value: string): boolean {
  return value.length <= 200 && /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+$/.test(value);
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
