/**
 * The notifications' work that runs later, on the job queue: push retries
 * (each a job due when its backoff has passed) and the hourly purge of old
 * read notifications (a cron job: once per hour across all instances).
 */
import type { JobQueue } from '../../jobs/job-queue.js';
import type { NotificationsService } from './notifications.service.js';
import type { PushDispatcher, PushRetries, PushRetry } from './push.js';

declare module '../../jobs/job-queue.js' {
  interface JobPayloads {
    push_retry: PushRetry;
    purge_notifications: Record<string, unknown>;
  }
}

/** Push retries as jobs: each runs once, on any instance, after `delayMs`, and survives restarts. */
export function queuedPushRetries(jobs: JobQueue): PushRetries {
  // Retried by the dispatcher's own schedule (retryDelaysMs); the queue's attempts cover a failure to run at all.
  return { later: (retry, delayMs) => jobs.add('push_retry', retry, { runAt: new Date(Date.now() + delayMs), maxAttempts: 3 }) };
}

export function defineNotificationJobs(jobs: JobQueue, notifications: NotificationsService, push: PushDispatcher): void {
  jobs.define('push_retry', (retry) => push.retry(retry));
  jobs.every('purge_notifications', '17 * * * *', async () => void (await notifications.purge()));
}
