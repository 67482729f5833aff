import type { FileLoaders } from './files.loaders.js';
import type { FilesService } from './files.service.js';

// What this module adds to every resolver's context (graphql/context.ts).
declare module '../../graphql/context.js' {
  interface Services {
    files: FilesService;
  }
  interface Loaders extends FileLoaders {}
}

export { FileNode, FILE_SELECT, type FileRecord } from './files.types.js';
export { FilesService, UPLOADS_PATH, type FilesServiceOptions } from './files.service.js';
export { defineFileJobs } from './files.jobs.js';
export type { ResumableUploadOptions, UploadSessionRecord, CompletionOutcome } from './files.uploads.js';
export type { Download, DownloadResult } from './files.download.js';
export { createFileLoaders, type FileLoaders } from './files.loaders.js';
export { unlimitedUploads, type UploadLimiter } from './files.limiter.js';
export { ChatAvatarResolver, FilesResolver, MessageFileResolver, UserAvatarResolver } from './files.resolver.js';
