import type { UnreadService } from './unread.service.js';

// What this module adds to every resolver's context (graphql/context.ts).
declare module '../../graphql/context.js' {
  interface Services {
    unread: UnreadService;
  }
}

export { UnreadSummary, type UnreadTotals } from './unread.types.js';
export { UnreadService, type UnreadServiceOptions } from './unread.service.js';
export { UnreadResolver, UserUnreadResolver } from './unread.resolver.js';
