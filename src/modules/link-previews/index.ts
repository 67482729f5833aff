export { LinkPreview, MessageLinkPreviewResolver } from './link-preview.types.js';
export { LinkPreviewsService, type LinkPreviewJob, type LinkPreviewsOptions } from './link-previews.service.js';
export { defineLinkPreviewJobs } from './link-previews.jobs.js';
