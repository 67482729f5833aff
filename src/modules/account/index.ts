import type { AccountService } from './account.service.js';

// What this module adds to every resolver's context (graphql/context.ts).
declare module '../../graphql/context.js' {
  interface Services {
    account: AccountService;
  }
}

export { AccountService, DELETED_ACCOUNT_NAME, type AccountServiceOptions, type ExportOpening } from './account.service.js';
export { DataExporter, type ExportOwner } from './account.export.js';
export { AccountResolver, UserDeletedResolver } from './account.resolver.js';
