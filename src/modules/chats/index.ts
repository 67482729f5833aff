export { Chat, ChatKind, ChatMember, ChatConnection, CHAT_SELECT, type ChatRecord, type MemberRecord } from './chat.types.js';
export { ChatLog, replyElsewhere, clientIdElsewhere, toMessagePayload, fromMessagePayload, MESSAGE_SELECT, type MessageRecord, type Appended } from './chat-log.js';
export { ChatsService } from './chats.service.js';
export { createChatLoaders, type ChatLoaders } from './chats.loaders.js';
export { requireMember, requireMembership, requireGroupAdmin, requireVisibleChat, type Membership } from './chats.policy.js';
export { ChatsResolver, ChatMemberResolver } from './chats.resolver.js';
export { ChatEvents, type ChatEventListener, type MembersJoined, type MemberLeft, type GroupRenamed } from './chat-events.js';
