import type { PrismaClient } from '../generated/prisma/client.js';
import type { Logger } from '../lib/logger.js';
import type { PubSub } from '../realtime/pubsub.js';
import { AuthResolver, AuthService, TokenIssuer } from './auth/index.js';
import { ChatLog, ChatMemberResolver, ChatsResolver, ChatsService, createChatLoaders, type ChatLoaders } from './chats/index.js';
import {
  FilesResolver,
  FilesService,
  MessageFileResolver,
  UserAvatarResolver,
  createFileLoaders,
  type FileLoaders,
  type FilesServiceOptions,
} from './files/index.js';
import { ChatLastMessageResolver, MessagesResolver, MessagesService, createMessageLoaders, type MessageLoaders } from './messages/index.js';
import { PresenceService, UsersResolver, UsersService, createUserLoaders, type UserLoaders } from './users/index.js';

/** Every resolver class the schema is built from. */
export const resolvers = [
  AuthResolver,
  UsersResolver,
  ChatsResolver,
  ChatMemberResolver,
  MessagesResolver,
  ChatLastMessageResolver,
  FilesResolver,
  MessageFileResolver,
  UserAvatarResolver,
] as const;

/** Long-lived services shared by all requests of one server. */
export interface Services {
  auth: AuthService;
  users: UsersService;
  presence: PresenceService;
  chats: ChatsService;
  messages: MessagesService;
  files: FilesService;
}

export interface ServiceDeps {
  prisma: PrismaClient;
  pubsub: PubSub;
  logger: Logger;
  jwtSecret: string;
  /** How long `typing: true` lasts without a refresh; default 6,000 ms. */
  typingTtlMs?: number;
  /** File store, URL signer, temporary folder, upload limiter. */
  files: FilesServiceOptions;
}

export function createServices(deps: ServiceDeps): Services {
  const { prisma, pubsub, logger } = deps;
  const log = new ChatLog(prisma, pubsub);
  return {
    auth: new AuthService(prisma, new TokenIssuer({ secret: deps.jwtSecret }), logger.child({ module: 'auth' })),
    users: new UsersService(prisma),
    presence: new PresenceService(prisma, pubsub, logger.child({ module: 'presence' })),
    chats: new ChatsService(prisma, log, pubsub, logger.child({ module: 'chats' }), { typingTtlMs: deps.typingTtlMs }),
    messages: new MessagesService(prisma, log, pubsub),
    files: new FilesService(prisma, log, logger.child({ module: 'files' }), deps.files),
  };
}

/** Per-request (or per-subscription-event) batching caches. */
export type Loaders = UserLoaders & ChatLoaders & MessageLoaders & FileLoaders;

export function createLoaders(prisma: PrismaClient): Loaders {
  return { ...createUserLoaders(prisma), ...createChatLoaders(prisma), ...createMessageLoaders(prisma), ...createFileLoaders(prisma) };
}
