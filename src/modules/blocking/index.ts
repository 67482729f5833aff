import type { BlockingService } from './blocking.service.js';

// What this module adds to every resolver's context (graphql/context.ts).
declare module '../../graphql/context.js' {
  interface Services {
    blocking: BlockingService;
  }
}

export { BlockingService } from './blocking.service.js';
export { BlockingResolver } from './blocking.resolver.js';
export { CANNOT_ADD, CANNOT_MESSAGE, blockedInChat, cannotAdd, cannotMessage, requireNotBlocked } from './blocking.policy.js';
