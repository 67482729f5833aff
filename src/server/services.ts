import type { Sql } from '../db/sql.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import type { JobQueue } from '../jobs/job-queue.js';
import { lazyGroups } from '../lib/lazy-groups.js';
import type { Logger } from '../lib/logger.js';
import type { RateLimits } from '../lib/rate-limits.js';
import type { PresenceStore } from '../realtime/presence.js';
import type { PubSub } from '../realtime/pubsub.js';
import type { Loaders, Services } from '../graphql/context.js';
import { AccountResolver, AccountService, DataExporter, UserDeletedResolver } from '../modules/account/index.js';
import { AccountAdmin, AdminResolver, AdminService, type AdminEnvironment } from '../modules/admin/index.js';
import { BlockingResolver, BlockingService } from '../modules/blocking/index.js';
import { AuthResolver, AuthService, TokenIssuer } from '../modules/auth/index.js';
import {
  ChatEvents,
  ChatMemberResolver,
  ChatSettingsResolver,
  ChatSettingsService,
  ChatsResolver,
  ChatsService,
  GroupsResolver,
  GroupsService,
  createChatLoaders,
} from '../modules/chats/index.js';
import {
  ChatAvatarResolver,
  FilesResolver,
  FilesService,
  MessageFileResolver,
  UserAvatarResolver,
  createFileLoaders,
  defineFileJobs,
  type FilesServiceOptions,
} from '../modules/files/index.js';
import {
  ChatHistoryResolver,
  ChatHistoryService,
  ChatLastMessageResolver,
  ChatMentionsResolver,
  MessageChangesService,
  MessageLog,
  MessagesResolver,
  MessageMentionsResolver,
  MessagesService,
  createMentionLoaders,
  createMessageLoaders,
  mentionHooks,
  type MessageWindows,
} from '../modules/messages/index.js';
import { ForwardingResolver, ForwardingService } from '../modules/forwarding/index.js';
import { LinkPreviewsService, MessageLinkPreviewResolver, defineLinkPreviewJobs, type LinkPreviewsOptions } from '../modules/link-previews/index.js';
import { MessageTimersResolver, MessageTimersService, defineMessageTimerJobs } from '../modules/message-timers/index.js';
import {
  ChatInvitePreviewResolver,
  ChatInvitesResolver,
  GroupInvitations,
  InvitesResolver,
  InvitesService,
  JoinRequestResolver,
  createInviteLoaders,
} from '../modules/invites/index.js';
import { ChatPinnedMessagesResolver, PinsResolver, PinsService, createPinLoaders } from '../modules/pins/index.js';
import { NotificationsResolver, NotificationsService, defineNotificationJobs } from '../modules/notifications/index.js';
import {
  DevicesResolver,
  DevicesService,
  SessionDevicesResolver,
  createDeviceLoaders,
  PushDelivery,
  PushEndpointGuard,
  WebPushPlatform,
  WebPushSender,
  defineDeviceJobs,
  queuedPushJobs,
  type PlatformSender,
  type VapidKeys,
} from '../modules/devices/index.js';
import { ReactionGroupResolver, ReactionsResolver, ReactionsService, createReactionLoaders } from '../modules/reactions/index.js';
import { PresenceService, PrivacyResolver, PrivacyService, UsersResolver, UsersService, createUserLoaders } from '../modules/users/index.js';
import { ReportedFileResolver, ReportsResolver, ReportsService } from '../modules/reports/index.js';
import { ScheduledMessagesResolver, ScheduledMessagesService } from '../modules/scheduling/index.js';
import { UnreadResolver, UnreadService, UserUnreadResolver } from '../modules/unread/index.js';
import { SearchResolver, SearchService, type SearchServiceOptions } from '../modules/search/index.js';

/** Every resolver class the schema is built from. */
export const resolvers = [
  AuthResolver,
  UsersResolver,
  PrivacyResolver,
  ChatsResolver,
  ChatMemberResolver,
  ChatSettingsResolver,
  GroupsResolver,
  MessagesResolver,
  ChatLastMessageResolver,
  ChatHistoryResolver,
  MessageMentionsResolver,
  ChatMentionsResolver,
  PinsResolver,
  ChatPinnedMessagesResolver,
  MessageTimersResolver,
  ForwardingResolver,
  ReactionsResolver,
  ReactionGroupResolver,
  NotificationsResolver,
  DevicesResolver,
  SessionDevicesResolver,
  AdminResolver,
  BlockingResolver,
  InvitesResolver,
  ChatInvitesResolver,
  JoinRequestResolver,
  ChatInvitePreviewResolver,
  FilesResolver,
  MessageFileResolver,
  MessageLinkPreviewResolver,
  UserAvatarResolver,
  AccountResolver,
  UserDeletedResolver,
  ChatAvatarResolver,
  ReportsResolver,
  ReportedFileResolver,
  UnreadResolver,
  UserUnreadResolver,
  ScheduledMessagesResolver,
  SearchResolver,
] as const;

export interface ServiceDeps {
  prisma: PrismaClient;
  /** The send path's and the session check's statements (src/db/sql.ts). */
  sql: Sql;
  /** Where work that runs later goes; the features define their jobs on it here, before it starts. */
  jobs: JobQueue;
  pubsub: PubSub;
  presence: PresenceStore;
  logger: Logger;
  jwtSecret: string;
  limits: RateLimits;
  /** REFRESH_GRACE_SECONDS; default 30. */
  refreshGraceSeconds?: number;
  vapid: VapidKeys;
  /** The running server, as admins see it; presence, jobs and pushes come from the services. */
  admin: Omit<AdminEnvironment, 'onlineCount' | 'jobCounts' | 'pushStats'>;
  /** The native senders configured (APNS_*, FCM_*: loadNativeSenders); Web Push is always on. */
  nativeSenders?: { APNS?: PlatformSender; FCM?: PlatformSender };
  /** PUSH_COALESCE_MS; default 3,000. */
  pushCoalesceMs?: number;
  /** Accept http:// and loopback push endpoints; only outside production. */
  allowInsecurePushEndpoints: boolean;
  /** How long `typing: true` lasts without a refresh; default 6,000 ms. */
  typingTtlMs?: number;
  /** How long a user stays online after their last socket closed; default 5,000 ms. */
  presenceGraceMs?: number;
  /** Waits between push retries; default 2 s, 10 s, 60 s. */
  pushRetryDelaysMs?: number[];
  /** File store, URL signer, temporary folder, upload limiter. */
  files: FilesServiceOptions;
  /** MESSAGE_EDIT_WINDOW and MESSAGE_DELETE_WINDOW; default 15 minutes and 48 hours. */
  messageWindows?: MessageWindows;
  /** MAX_GROUP_MEMBERS; default 1,024. */
  maxGroupMembers?: number;
  /** SCHEDULE_MIN_LEAD_SECONDS; default 60. */
  scheduleMinLeadSeconds?: number;
  /** Message search; tests pin its plan. */
  search?: SearchServiceOptions;
  /** Link previews: LINK_PREVIEW_TIMEOUT_MS; tests also let them reach their local pages (allowLoopback, lookup). */
  linkPreviews?: LinkPreviewsOptions;
}

export function createServices(deps: ServiceDeps): Services {
  const { prisma, pubsub, logger } = deps;
  const events = new ChatEvents(logger.child({ module: 'chat-events' }));
  const log = new MessageLog(prisma, deps.sql, pubsub, events);
  const presence = new PresenceService(prisma, deps.sql, pubsub, deps.presence, logger.child({ module: 'presence' }), {
    offlineGraceMs: deps.presenceGraceMs,
  });
  const { jobs } = deps;
  // One policy for the endpoints registration accepts and those a push may go to.
  const endpoints = new PushEndpointGuard({ allowInsecure: deps.allowInsecurePushEndpoints });
  const pushLogger = logger.child({ module: 'push' });
  const push = new PushDelivery(prisma, pushLogger, {
    senders: { WEB_PUSH: new WebPushPlatform(new WebPushSender(deps.vapid), endpoints), ...deps.nativeSenders },
    sessionsOnline: (sessionIds) => presence.sessionsOnline(sessionIds),
    // `unread` is made below; a push asks for the badge only once the services exist.
    badge: async (userId) => (await unread.totals(userId)).messages,
    jobs: queuedPushJobs(jobs),
    retryDelaysMs: deps.pushRetryDelaysMs,
    coalesceMs: deps.pushCoalesceMs,
  });
  const devices = new DevicesService(prisma, push, endpoints, pushLogger);
  defineDeviceJobs(jobs, devices);
  const notifications = new NotificationsService(prisma, deps.sql, pubsub, devices, logger.child({ module: 'notifications' }), {
    online: (userIds) => presence.online(userIds),
  });
  events.on(notifications);
  defineNotificationJobs(jobs, notifications);
  const blocking = new BlockingService(prisma);
  const groups = new GroupsService(prisma, log, pubsub, events);
  const linkPreviews = new LinkPreviewsService(
    prisma,
    log,
    jobs,
    deps.limits.linkPreviews,
    { store: deps.files.store, temp: deps.files.temp },
    logger.child({ module: 'link-previews' }),
    deps.linkPreviews,
  );
  defineLinkPreviewJobs(jobs, linkPreviews);
  const files = new FilesService(prisma, log, logger.child({ module: 'files' }), { ...deps.files, groups, linkPreviews }, events);
  const messages = new MessagesService(prisma, log, pubsub, events, deps.limits);
  messages.connect({ linkPreviews });
  const messageChanges = new MessageChangesService(prisma, log, pubsub, events, deps.messageWindows);
  messageChanges.connect({ attachments: files, hooks: mentionHooks(events) });
  const chats = new ChatsService(prisma, log, pubsub, events, logger.child({ module: 'chats' }), {
    typingTtlMs: deps.typingTtlMs,
    groupAdds: deps.limits.groupAdds,
    blocks: blocking,
    invitations: new GroupInvitations(prisma, notifications),
    maxGroupMembers: deps.maxGroupMembers,
  });
  const messageTimers = new MessageTimersService(prisma, log, messageChanges, pubsub, logger.child({ module: 'message-timers' }));
  defineMessageTimerJobs(jobs, messageTimers);
  defineFileJobs(jobs, files);
  const accounts = new AccountAdmin(prisma, pubsub, logger.child({ module: 'admin' }));
  const auth = new AuthService(prisma, deps.sql, new TokenIssuer({ secret: deps.jwtSecret }), deps.limits, logger.child({ module: 'auth' }), pubsub, {
    refreshGraceSeconds: deps.refreshGraceSeconds,
  });
  const accountLogger = logger.child({ module: 'account' });
  const unread = new UnreadService(prisma, pubsub, messages, logger.child({ module: 'unread' }));
  return {
    auth,
    account: new AccountService(
      prisma,
      { auth, chats, files },
      deps.files.signer,
      new DataExporter(prisma, deps.files.store, accountLogger),
      deps.limits.dataExport,
      accountLogger,
      { publicUrl: deps.files.publicUrl },
    ),
    users: new UsersService(prisma, deps.limits),
    presence,
    privacy: new PrivacyService(prisma, presence),
    chats,
    chatSettings: new ChatSettingsService(prisma, pubsub),
    groups,
    messages,
    messageChanges,
    chatHistory: new ChatHistoryService(prisma, chats, messages, pubsub, events),
    pins: new PinsService(log, pubsub),
    messageTimers,
    forwarding: new ForwardingService(prisma, log, files, deps.limits),
    reactions: new ReactionsService(prisma, log, events),
    notifications,
    devices,
    admin: new AdminService(
      prisma,
      { ...deps.admin, onlineCount: () => deps.presence.localCount, jobCounts: () => jobs.counts(), pushStats: () => push.stats() },
      accounts,
    ),
    reports: new ReportsService(prisma, files, messageChanges, accounts, deps.limits),
    files,
    blocking,
    invites: new InvitesService(prisma, chats, notifications, { perUser: deps.limits.invites, perIp: deps.limits.invitesIp }),
    vapidPublicKey: deps.vapid.publicKey,
    unread,
    search: new SearchService(prisma, chats, deps.search),
    scheduledMessages: new ScheduledMessagesService(prisma, jobs, messages, notifications, logger.child({ module: 'scheduling' }), {
      minLeadSeconds: deps.scheduleMinLeadSeconds ?? 60,
      budget: deps.limits.messages,
    }),
  };
}

/** Options for {@link createLoaders}. */
export interface LoaderOptions {
  /**
   * `false` makes every loader load one key per query (DataLoader's
   * `maxBatchSize: 1`): the N+1 behaviour, for the benchmark to compare with.
   * @defaultValue `true`
   */
  batch?: boolean;
}

/**
 * The maker of a request's (or an event's) loaders: each module's loaders are
 * made when the request first reads one of them (lib/lazy-groups.ts).
 */
export function loaderMaker(
  { prisma, sql }: { prisma: PrismaClient; sql: Sql },
  services: Pick<Services, 'presence' | 'reactions'>,
  options: LoaderOptions = {},
): () => Loaders {
  const tuning = options.batch === false ? { maxBatchSize: 1 } : undefined;
  return lazyGroups<Loaders>([
    () => createUserLoaders(prisma, sql, services.presence.store, tuning),
    () => createChatLoaders(prisma, tuning),
    () => createMessageLoaders(prisma, tuning),
    () => createMentionLoaders(prisma, tuning),
    () => createPinLoaders(prisma, tuning),
    () => createReactionLoaders(prisma, services.reactions.snapshots, tuning),
    () => createFileLoaders(prisma),
    () => createInviteLoaders(prisma, tuning),
    () => createDeviceLoaders(prisma, tuning),
  ]);
}

/** One set of loaders, for code that runs outside a request (tests, jobs). */
export function createLoaders(
  deps: { prisma: PrismaClient; sql: Sql },
  services: Pick<Services, 'presence' | 'reactions'>,
  options: LoaderOptions = {},
): Loaders {
  return loaderMaker(deps, services, options)();
}
