import type { ScheduledMessagesService } from './scheduled.service.js';

// What this module adds to every resolver's context (graphql/context.ts).
declare module '../../graphql/context.js' {
  interface Services {
    scheduledMessages: ScheduledMessagesService;
  }
}

export { ScheduledMessagesService, scheduledClientId, type ScheduledMessagesOptions } from './scheduled.service.js';
export { ScheduledMessagesResolver } from './scheduled.resolver.js';
export { ScheduledMessage, ScheduledStatus, type ScheduledRecord } from './scheduled.types.js';
