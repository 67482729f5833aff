import type { ReactionLoaders } from './reactions.loaders.js';
import type { ReactionsService } from './reactions.service.js';

// What this module adds to every resolver's context (graphql/context.ts).
declare module '../../graphql/context.js' {
  interface Services {
    reactions: ReactionsService;
  }
  interface Loaders extends ReactionLoaders {}
}

export { ReactionGroup, type ReactionGroupRecord } from './reaction.types.js';
export { ReactionsService } from './reactions.service.js';
export { createReactionLoaders, type ReactionLoaders } from './reactions.loaders.js';
export { ReactionSnapshots, type ReactionCount } from './reaction-snapshots.js';
export { ReactionsResolver, ReactionGroupResolver } from './reactions.resolver.js';
export { cleanEmoji, MAX_EMOJI_LENGTH } from './reactions.inputs.js';
