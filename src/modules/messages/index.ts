export { Message, MessageConnection, MessageKind, MessageStatus, MessageStatusEvent, TypingEvent } from './message.types.js';
export { MessagesService } from './messages.service.js';
export { createMessageLoaders, type MessageLoaders } from './messages.loaders.js';
export { MessagesResolver, ChatLastMessageResolver } from './messages.resolver.js';
export { MAX_TEXT, cleanClientId } from './messages.inputs.js';
