import type { SearchService } from './search.service.js';

// What this module adds to every resolver's context (graphql/context.ts).
declare module '../../graphql/context.js' {
  interface Services {
    search: SearchService;
  }
}

export { SearchService, type SearchServiceOptions } from './search.service.js';
export { SearchResolver } from './search.resolver.js';
export { snippetOf, SNIPPET_LENGTH } from './search.snippet.js';
export type { SearchPlan } from './search.plan.js';
