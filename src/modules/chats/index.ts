import type { ChatLoaders } from './chats.loaders.js';
import type { ChatsService } from './chats.service.js';
import type { ChatSettingsService } from './chat-settings.service.js';
import type { GroupsService } from './groups.service.js';

// What this module adds to every resolver's context (graphql/context.ts).
declare module '../../graphql/context.js' {
  interface Services {
    chats: ChatsService;
    chatSettings: ChatSettingsService;
    groups: GroupsService;
  }
  interface Loaders extends ChatLoaders {}
}

export { Chat, ChatKind, ChatMember, ChatConnection, CHAT_SELECT, type ChatRecord, type MemberRecord } from './chat.types.js';
export { ChatsService, groupFull, type Admission, type ChatsServiceOptions } from './chats.service.js';
export { MUTED_NOW_SQL, UNREAD_COUNT_SQL } from './chat-unread.js';
export { DEFAULT_MAX_GROUP_MEMBERS } from './chats.inputs.js';
export { GroupsService, type AvatarWrite } from './groups.service.js';
export { GroupsResolver } from './groups.resolver.js';
export { GroupSettingsInput, MAX_DESCRIPTION } from './groups.inputs.js';
export { ChatSettingsService, isMuted, MAX_PINNED_CHATS } from './chat-settings.service.js';
export { ChatSettingsResolver } from './chat-settings.resolver.js';
export { createChatLoaders, memberKey, type ChatLoaders } from './chats.loaders.js';
export {
  requireMembership,
  requireGroupAdmin,
  requireInfoEditor,
  requireMaySend,
  canEditGroupInfo,
  canEditChatInfo,
  ADMINS_ONLY_EDIT_INFO,
  ADMINS_ONLY_SEND,
  requireVisibleChat,
  requireReader,
  readsSeq,
  clearedSeqOf,
  deletedFor,
  type Membership,
  type Reader,
  type ReadableChat,
  type SeqRange,
} from './chats.policy.js';
export { readsHidden } from './receipts.policy.js';
export { ChatsResolver, ChatMemberResolver } from './chats.resolver.js';
export {
  ChatEvents,
  type ChatEventListener,
  type MembersJoined,
  type MembersMentioned,
  type MessagesExpired,
  type MemberLeft,
  type GroupRenamed,
  type ReactionSet,
} from './chat-events.js';
export { ChatTopic, type TypingPayload, type MembershipPayload } from './chat.topics.js';
export { guardByMembership } from './chats.guard.js';
export type { ChatLogPort, LoggedMessage, Logged, SystemMessage, Tx } from './chat-log.port.js';
export { CANNOT_ADD, CANNOT_MESSAGE, type ChatBlocksPort } from './chat-blocks.port.js';
export type { ChatInvitationsPort } from './chat-invitations.port.js';
