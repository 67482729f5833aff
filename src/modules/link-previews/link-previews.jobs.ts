/** The link_preview job: one per message sent with a link, run on any instance soon after the send. */
import type { JobQueue } from '../../jobs/job-queue.js';
import type { LinkPreviewJob, LinkPreviewsService } from './link-previews.service.js';

declare module '../../jobs/job-queue.js' {
  interface JobPayloads {
    link_preview: LinkPreviewJob;
  }
}

export function defineLinkPreviewJobs(jobs: JobQueue, previews: Pick<LinkPreviewsService, 'build'>): void {
  // A page that gives no preview is an outcome, not a failure: only a database error makes the queue retry.
  jobs.define('link_preview', async (job) => void (await previews.build(job)));
}
