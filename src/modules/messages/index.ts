import type { MessageLoaders } from './messages.loaders.js';
import type { MessagesService } from './messages.service.js';

// What this module adds to every resolver's context (graphql/context.ts).
declare module '../../graphql/context.js' {
  interface Services {
    messages: MessagesService;
  }
  interface Loaders extends MessageLoaders {}
}

export { Message, MessageConnection, MessageKind, MessageStatus, MessageStatusEvent, TypingEvent } from './message.types.js';
export { MessagesService } from './messages.service.js';
export { createMessageLoaders, type MessageLoaders } from './messages.loaders.js';
export { MessagesResolver, ChatLastMessageResolver } from './messages.resolver.js';
export { MAX_TEXT, cleanClientId } from './messages.inputs.js';
export { MessageTopic, type MessagePayload, type MessageStatusPayload } from './message.topics.js';
export {
  MessageLog,
  replyElsewhere,
  clientIdElsewhere,
  toMessagePayload,
  fromMessagePayload,
  MESSAGE_SELECT,
  type MessageRecord,
  type Appended,
} from './message-log.js';
