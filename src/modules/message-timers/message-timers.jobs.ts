/**
 * The sweep of disappearing messages on the job queue: a cron job every
 * minute, run by one instance per tick, so a message goes within about a
 * minute of its expiresAt. A sweep that found a full batch goes on (up to
 * ten rounds) rather than leaving a backlog to the next minute.
 */
import type { JobQueue } from '../../jobs/job-queue.js';
import { DEFAULT_EXPIRY_LIMIT, type MessageTimersService } from './message-timers.service.js';

declare module '../../jobs/job-queue.js' {
  interface JobPayloads {
    expire_messages: Record<string, unknown>;
  }
}

const MAX_ROUNDS = 10;

export function defineMessageTimerJobs(jobs: JobQueue, timers: Pick<MessageTimersService, 'expireDue'>): void {
  jobs.every('expire_messages', '* * * * *', async () => {
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      if ((await timers.expireDue(new Date())) < DEFAULT_EXPIRY_LIMIT) return;
    }
  });
}
