export { AccountAdmin, type AccountActor } from './admin.accounts.js';
export { AdminService, type AdminEnvironment } from './admin.service.js';
export { AdminResolver } from './admin.resolver.js';
export { AdminStats, Health, AdminAuditEntry } from './admin.types.js';
