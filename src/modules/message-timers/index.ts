import type { MessageTimersService } from './message-timers.service.js';

// What this module adds to every resolver's context (graphql/context.ts).
declare module '../../graphql/context.js' {
  interface Services {
    messageTimers: MessageTimersService;
  }
}

export { MessageTimersService, ADMINS_ONLY_TIMER, DEFAULT_EXPIRY_LIMIT, EXPIRY_BATCH } from './message-timers.service.js';
export { MessageTimersResolver } from './message-timers.resolver.js';
export { defineMessageTimerJobs } from './message-timers.jobs.js';
export { MESSAGE_TIMERS, cleanMessageTimer } from './message-timers.inputs.js';
