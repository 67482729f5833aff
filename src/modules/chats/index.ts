import type { ChatLoaders } from './chats.loaders.js';
import type { ChatsService } from './chats.service.js';
import type { ChatSettingsService } from './chat-settings.service.js';

// What this module adds to every resolver's context (graphql/context.ts).
declare module '../../graphql/context.js' {
  interface Services {
    chats: ChatsService;
    chatSettings: ChatSettingsService;
  }
  interface Loaders extends ChatLoaders {}
}

export { Chat, ChatKind, ChatMember, ChatConnection, CHAT_SELECT, type ChatRecord, type MemberRecord } from './chat.types.js';
export { ChatsService } from './chats.service.js';
export { ChatSettingsService, isMuted, MAX_PINNED_CHATS } from './chat-settings.service.js';
export { ChatSettingsResolver } from './chat-settings.resolver.js';
export { createChatLoaders, type ChatLoaders } from './chats.loaders.js';
export {
  requireMembership,
  requireGroupAdmin,
  requireVisibleChat,
  requireReader,
  readsSeq,
  clearedSeqOf,
  deletedFor,
  type Membership,
  type Reader,
  type SeqRange,
} from './chats.policy.js';
export { ChatsResolver, ChatMemberResolver } from './chats.resolver.js';
export {
  ChatEvents,
  type ChatEventListener,
  type MembersJoined,
  type MembersMentioned,
  type MemberLeft,
  type GroupRenamed,
  type ReactionSet,
} from './chat-events.js';
export { ChatTopic, type TypingPayload, type MembershipPayload } from './chat.topics.js';
export { guardByMembership } from './chats.guard.js';
export type { ChatLogPort, LoggedMessage, Logged, SystemMessage, Tx } from './chat-log.port.js';
export { CANNOT_ADD, CANNOT_MESSAGE, type ChatBlocksPort } from './chat-blocks.port.js';
