import type { ReportsService } from './reports.service.js';

// What this module adds to every resolver's context (graphql/context.ts).
declare module '../../graphql/context.js' {
  interface Services {
    reports: ReportsService;
  }
}

export { ReportsService } from './reports.service.js';
export { ReportsResolver, ReportedFileResolver } from './reports.resolver.js';
export { Report, ReportSnapshot, ReportedFile, ReportAction, ReportReason, ReportStatus, type ReportRecord } from './reports.types.js';
