import type { MentionLoaders } from './mentions.loaders.js';
import type { MessageLoaders } from './messages.loaders.js';
import type { MessagesService } from './messages.service.js';
import type { MessageChangesService } from './message-changes.service.js';
import type { ChatHistoryService } from './chat-history.service.js';

// What this module adds to every resolver's context (graphql/context.ts).
declare module '../../graphql/context.js' {
  interface Services {
    messages: MessagesService;
    messageChanges: MessageChangesService;
    chatHistory: ChatHistoryService;
  }
  interface Loaders extends MessageLoaders, MentionLoaders {}
}

export { Message, MessageConnection, MessageKind, MessageStatus, MessageStatusEvent, TypingEvent } from './message.types.js';
export { MessagesService, type LinkPreviewPort } from './messages.service.js';
export {
  MessageChangesService,
  DEFAULT_MESSAGE_WINDOWS,
  type AfterCommit,
  type AttachmentsPort,
  type MessageTextHooks,
  type MessageWindows,
} from './message-changes.service.js';
export { viewOf, viewsOf } from './message-views.js';
export { MAX_MENTIONS, announceMentions, mentionHooks, mentionedNames, recordMentions } from './mentions.js';
export { UNREAD_MENTIONS_SQL, createMentionLoaders, type MentionLoaders } from './mentions.loaders.js';
export { ChatMentionsResolver, MessageMentionsResolver } from './mentions.resolver.js';
export { NO_PREVIEW, isAsAppended, tombstoneOf } from './message.record.js';
export { createMessageLoaders, type MessageLoaders } from './messages.loaders.js';
export { MessagesResolver, ChatLastMessageResolver } from './messages.resolver.js';
export { ChatHistoryService } from './chat-history.service.js';
export { ChatHistoryResolver } from './chat-history.resolver.js';
export { MAX_TEXT, cleanClientId, cleanMessageText } from './messages.inputs.js';
export { MessageTopic, type MessagePayload, type MessageStatusPayload } from './message.topics.js';
export {
  MessageLog,
  replyElsewhere,
  clientIdElsewhere,
  toMessagePayload,
  fromMessagePayload,
  MESSAGE_SELECT,
  MESSAGE_COLUMNS,
  type MessageRecord,
  type Appended,
  type ChatChange,
} from './message-log.js';
