/**
 * The notifications' work that runs later, on the job queue: the hourly purge
 * of old read notifications (a cron job: once per hour across all instances).
 * Push retries are modules/devices' (devices.jobs.ts).
 */
import type { JobQueue } from '../../jobs/job-queue.js';
import type { NotificationsService } from './notifications.service.js';

declare module '../../jobs/job-queue.js' {
  interface JobPayloads {
    purge_notifications: Record<string, unknown>;
  }
}

export function defineNotificationJobs(jobs: JobQueue, notifications: NotificationsService): void {
  jobs.every('purge_notifications', '17 * * * *', async () => void (await notifications.purge()));
}
