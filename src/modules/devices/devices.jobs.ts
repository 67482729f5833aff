/**
 * Push work that runs later, on the job queue: retries (each due when its
 * backoff has passed), the follow-up push when a coalescing window closes,
 * and the hourly purge of devices whose sessions ended.
 */
import type { JobQueue } from '../../jobs/job-queue.js';
import type { DevicesService } from './devices.service.js';
import type { PushFlush, PushJobs, PushRetry } from './push-delivery.js';

declare module '../../jobs/job-queue.js' {
  interface JobPayloads {
    /** Retries queued before devices (`subscriptionId`, no `deviceId`) are dropped: their table is gone. */
    push_retry: PushRetry | { subscriptionId: string };
    push_flush: PushFlush;
    purge_devices: Record<string, unknown>;
  }
}

/** Retries and flushes as jobs: each runs once, on any instance, when due, and survives restarts. */
export function queuedPushJobs(jobs: JobQueue): PushJobs {
  return {
    // Retried by the delivery's own schedule (retryDelaysMs); the queue's attempts cover a failure to run at all.
    retry: (retry, delayMs) => jobs.add('push_retry', retry, { runAt: new Date(Date.now() + delayMs), maxAttempts: 3 }),
    flush: (flush, at) => jobs.add('push_flush', flush, { runAt: at, jobKey: `push_flush:${flush.deviceId}:${flush.chatId}`, maxAttempts: 3 }),
  };
}

export function defineDeviceJobs(jobs: JobQueue, devices: DevicesService): void {
  jobs.define('push_retry', async (retry) => {
    if ('deviceId' in retry) await devices.push.retry(retry);
  });
  jobs.define('push_flush', (flush) => devices.push.flush(flush));
  jobs.every('purge_devices', '23 * * * *', async () => void (await devices.purge()));
}
