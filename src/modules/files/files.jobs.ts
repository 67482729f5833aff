/**
 * The sweep of resumable uploads on the job queue: a cron job every ten
 * minutes, run by one instance per tick. An upload unfinished 24 h after
 * createUpload, or finished and not sent within 24 h, goes with its bytes.
 */
import type { JobQueue } from '../../jobs/job-queue.js';
import type { FilesService } from './files.service.js';

declare module '../../jobs/job-queue.js' {
  interface JobPayloads {
    expire_uploads: Record<string, unknown>;
  }
}

const BATCH = 100;
const MAX_ROUNDS = 10;

export function defineFileJobs(jobs: JobQueue, files: Pick<FilesService, 'expireUploads'>): void {
  jobs.every('expire_uploads', '*/10 * * * *', async () => {
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      if ((await files.expireUploads(new Date(), BATCH)) < BATCH) return;
    }
  });
}
