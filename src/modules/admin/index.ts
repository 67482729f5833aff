import type { AdminService } from './admin.service.js';

// What this module adds to every resolver's context (graphql/context.ts).
declare module '../../graphql/context.js' {
  interface Services {
    admin: AdminService;
  }
}

export { AccountAdmin, type AccountActor } from './admin.accounts.js';
export { AdminService, type AdminEnvironment } from './admin.service.js';
export { AdminResolver } from './admin.resolver.js';
export { AdminStats, Health, AdminAuditEntry } from './admin.types.js';
