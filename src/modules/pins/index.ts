import type { PinLoaders } from './pins.loaders.js';
import type { PinsService } from './pins.service.js';

// What this module adds to every resolver's context (graphql/context.ts).
declare module '../../graphql/context.js' {
  interface Services {
    pins: PinsService;
  }
  interface Loaders extends PinLoaders {}
}

export { PinsService, MAX_PINNED } from './pins.service.js';
export { createPinLoaders, type PinLoaders } from './pins.loaders.js';
export { PinsResolver, ChatPinnedMessagesResolver } from './pins.resolver.js';
