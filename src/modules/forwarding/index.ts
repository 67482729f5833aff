import type { ForwardingService } from './forwarding.service.js';

// What this module adds to every resolver's context (graphql/context.ts).
declare module '../../graphql/context.js' {
  interface Services {
    forwarding: ForwardingService;
  }
}

export { ForwardingService, MAX_FORWARD_TARGETS, copyClientIds } from './forwarding.service.js';
export { ForwardingResolver } from './forwarding.resolver.js';
