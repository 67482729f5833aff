/**
 * Scheduled messages: a row per message to send later, and a job per row on
 * the job queue (src/jobs), added in the same transaction and keyed by the
 * row, so moving sendAt moves the job and cancelling removes it.
 *
 * At sendAt the job sends the message through sendMessage's own path
 * (MessagesService.send: seq, rev, receipts, mentions, notifications,
 * subscriptions), as its sender, so membership, blocks and announcement-group
 * rules are checked again then. Exactly once: the row is locked for the
 * send, the message's clientId is "scheduled:<id>", and a run that finds a
 * message with that clientId (a run cut off after sending) only records it.
 */
import { GraphQLError } from 'graphql';
import type { PrismaClient } from '../../generated/prisma/client.js';
import type { Role } from '../../generated/prisma/enums.js';
import type { JobQueue, JobRun } from '../../jobs/job-queue.js';
import { badInput, isClientErrorCode, isUniqueViolation, notFound } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { Limiter } from '../../lib/rate-limits.js';
import type { Connection } from '../../lib/relay.js';
import { oldestFirst } from '../../lib/relay.js';
import { isUuid } from '../../lib/text.js';
import type { Viewer } from '../../lib/viewer.js';
import { requireMaySend, requireMembership, type ChatLoaders } from '../chats/index.js';
import { cleanClientId, cleanMessageText, type MessagesService } from '../messages/index.js';
import { NotificationType, type NotificationsService } from '../notifications/index.js';
import { MAX_PENDING_PER_USER, checkSendAt, type ScheduleMessageInput, type UpdateScheduledMessageInput } from './scheduled.inputs.js';
import { SCHEDULED_SELECT, ScheduledStatus, type ScheduledRecord } from './scheduled.types.js';

declare module '../../jobs/job-queue.js' {
  interface JobPayloads {
    send_scheduled: { id: string };
  }
}

export interface ScheduledMessagesOptions {
  /** SCHEDULE_MIN_LEAD_SECONDS. */
  minLeadSeconds: number;
  /** The message budget (RATE_LIMIT_MESSAGES): scheduling spends it, as sending does; the send at sendAt does not again. */
  budget: Limiter;
}

const jobKeyOf = (id: string) => `scheduled:${id}`;

/** What the job reads of a due scheduled message, under its lock. */
interface DueRow {
  id: string;
  chatId: string;
  senderId: string;
  text: string;
  replyToId: string | null;
  status: ScheduledStatus;
  sendAt: Date;
  role: Role;
  active: boolean;
  /** A message already sent for it (a run cut off after sending). */
  sentId: string | null;
}
/** The sent message's clientId: what makes a second run of the job find the first message. */
export const scheduledClientId = (id: string) => `scheduled:${id}`;

/** Statuses scheduledMessages lists when none is asked for: what still needs the sender's eye. */
const OPEN_STATUSES: ScheduledStatus[] = [ScheduledStatus.SCHEDULED, ScheduledStatus.FAILED];

export class ScheduledMessagesService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly jobs: JobQueue,
    private readonly messages: Pick<MessagesService, 'send'>,
    private readonly notifications: Pick<NotificationsService, 'notify'>,
    private readonly logger: Logger,
    private readonly options: ScheduledMessagesOptions,
  ) {
    jobs.define('send_scheduled', ({ id }, run) => this.sendDue(id, run));
  }

  async schedule(viewer: Viewer, loaders: ChatLoaders, input: ScheduleMessageInput): Promise<ScheduledRecord> {
    // Strangers first: NOT_FOUND whatever else is wrong.
    const { chat, member } = await requireMembership(loaders, viewer, input.chatId);
    const text = cleanMessageText(input.text);
    const clientId = cleanClientId(input.clientId);
    const sendAt = checkSendAt(input.sendAt, this.options.minLeadSeconds);
    requireMaySend(chat, member);
    const replyToId = await this.#checkReply(chat.id, input.replyToId ?? null);
    if (clientId !== null) {
      const first = await this.#byClientId(viewer.id, clientId, chat.id);
      if (first) return first;
    }
    const pending = await this.prisma.scheduledMessage.count({ where: { senderId: viewer.id, status: ScheduledStatus.SCHEDULED } });
    if (pending >= MAX_PENDING_PER_USER) {
      throw badInput(`At most ${MAX_PENDING_PER_USER} messages may wait to be sent; cancel some or wait until they are sent`);
    }
    await this.options.budget.consume(viewer.id);
    try {
      return await this.prisma.$transaction(async (tx) => {
        const row = await tx.scheduledMessage.create({
          data: { chatId: chat.id, senderId: viewer.id, text, replyToId, clientId, sendAt },
          select: SCHEDULED_SELECT,
        });
        await this.jobs.add('send_scheduled', { id: row.id }, { runAt: sendAt, jobKey: jobKeyOf(row.id) }, tx);
        return row;
      });
    } catch (error) {
      // A concurrent retry with the same clientId stored it first.
      const first = clientId !== null && isUniqueViolation(error) ? await this.#byClientId(viewer.id, clientId, chat.id) : null;
      if (first) return first;
      throw error;
    }
  }

  /** New text or sendAt, while it is SCHEDULED; sendAt moves its job too. */
  async update(viewer: Viewer, id: string, input: UpdateScheduledMessageInput): Promise<ScheduledRecord> {
    await this.#own(viewer, id);
    const text = input.text === null || input.text === undefined ? undefined : cleanMessageText(input.text);
    const sendAt = input.sendAt === null || input.sendAt === undefined ? undefined : checkSendAt(input.sendAt, this.options.minLeadSeconds);
    if (text === undefined && sendAt === undefined) throw badInput('Give text or sendAt to change');
    return this.#whileScheduled(id, 'changed', async (tx) => {
      const row = await tx.scheduledMessage.update({ where: { id }, data: { text, sendAt }, select: SCHEDULED_SELECT });
      if (sendAt !== undefined) await this.jobs.add('send_scheduled', { id }, { runAt: sendAt, jobKey: jobKeyOf(id) }, tx);
      return row;
    });
  }

  /** True once it is CANCELLED (again: still true); a message already sent or failed cannot be (BAD_USER_INPUT). */
  async cancel(viewer: Viewer, id: string): Promise<boolean> {
    const existing = await this.#own(viewer, id);
    if (existing.status === ScheduledStatus.CANCELLED) return true;
    await this.#whileScheduled(id, 'cancelled', async (tx) => {
      await this.jobs.remove(jobKeyOf(id), tx);
      return tx.scheduledMessage.update({ where: { id }, data: { status: ScheduledStatus.CANCELLED }, select: SCHEDULED_SELECT });
    });
    return true;
  }

  /** Mine, soonest sendAt first; by default those SCHEDULED and FAILED. */
  async list(
    viewer: Viewer,
    args: { chatId?: string | null; status?: ScheduledStatus | null; first?: number | null; after?: string | null },
  ): Promise<Connection<ScheduledRecord>> {
    if (args.chatId !== null && args.chatId !== undefined && !isUuid(args.chatId)) throw notFound('Chat');
    const page = oldestFirst('scheduled', 'sendAt', args);
    const rows = await this.prisma.scheduledMessage.findMany({
      where: {
        senderId: viewer.id,
        ...(args.chatId ? { chatId: args.chatId } : {}),
        status: args.status ? args.status : { in: OPEN_STATUSES },
        ...page.where,
      },
      orderBy: page.orderBy,
      take: page.take,
      select: SCHEDULED_SELECT,
    });
    return page.connection(rows);
  }

  async byId(viewer: Viewer, id: string): Promise<ScheduledRecord> {
    return this.#own(viewer, id);
  }

  /**
   * The job: sends the message now, unless it was cancelled, already sent or
   * moved later meanwhile. A refusal (no longer a member, blocked, admins
   * only, …) makes it FAILED and tells the sender; any other error is thrown
   * for the queue to retry, and on the last attempt it is FAILED too.
   */
  async sendDue(id: string, run: JobRun): Promise<void> {
    let failed: { row: ScheduledRecord; reason: string } | undefined;
    await this.prisma.$transaction(
      async (tx) => {
        // Held while sending: an update or cancel waits, and then finds it SENT. One statement reads the row, its
        // sender, and a message a run cut off after sending left behind (its clientId is scheduled:<id>).
        const [due] = await tx.$queryRaw<DueRow[]>`
          SELECT s."id"::text AS "id", s."chatId"::text AS "chatId", s."senderId"::text AS "senderId", s."text",
                 s."replyToId"::text AS "replyToId", s."status", s."sendAt", u."role", u."active", m."id"::text AS "sentId"
          FROM "ScheduledMessage" s
          JOIN "User" u ON u."id" = s."senderId"
          LEFT JOIN "Message" m ON m."senderId" = s."senderId" AND m."clientId" = ${scheduledClientId(id)}
          WHERE s."id" = ${id}::uuid
          FOR UPDATE OF s`;
        // Gone, cancelled, done, or moved later after this run was taken (the job for the new time sends it).
        if (!due || due.status !== ScheduledStatus.SCHEDULED || due.sendAt.getTime() > Date.now() + 1000) return;
        const outcome = due.sentId !== null ? { messageId: due.sentId } : await this.#send(due, run);
        const data =
          'messageId' in outcome
            ? { status: ScheduledStatus.SENT, messageId: outcome.messageId }
            : { status: ScheduledStatus.FAILED, failureReason: outcome.reason };
        const row = await tx.scheduledMessage.update({ where: { id }, data, select: SCHEDULED_SELECT });
        if ('reason' in outcome) failed = { row, reason: outcome.reason };
      },
      { maxWait: 10_000, timeout: 30_000 },
    );
    if (failed) this.#tellSender(failed.row, failed.reason);
  }

  async #send(due: DueRow, run: JobRun): Promise<{ messageId: string } | { reason: string }> {
    if (!due.active) return { reason: 'Your account is deactivated' };
    const viewer: Viewer = { id: due.senderId, role: due.role, sessionId: 'scheduled' };
    try {
      const message = await this.messages.send(
        viewer,
        { chatId: due.chatId, text: due.text, replyToId: due.replyToId, clientId: scheduledClientId(due.id) },
        { budget: false },
      );
      return { messageId: message.id };
    } catch (error) {
      const code = error instanceof GraphQLError ? error.extensions['code'] : undefined;
      if (isClientErrorCode(code)) return { reason: reasonOf(code, (error as GraphQLError).message) };
      if (run.attempt >= run.maxAttempts) {
        this.logger.error({ err: error, scheduledMessageId: due.id }, 'scheduled message could not be sent; giving up');
        return { reason: 'The message could not be sent' };
      }
      throw error;
    }
  }

  #tellSender(row: ScheduledRecord, reason: string): void {
    this.notifications.notify([row.senderId], NotificationType.SCHEDULED_FAILED, {
      title: 'Scheduled message not sent',
      body: reason,
      data: { chatId: row.chatId, scheduledMessageId: row.id },
    });
  }

  async #own(viewer: Viewer, id: string): Promise<ScheduledRecord> {
    const row = isUuid(id) ? await this.prisma.scheduledMessage.findUnique({ where: { id }, select: SCHEDULED_SELECT }) : null;
    if (!row || row.senderId !== viewer.id) throw notFound('Scheduled message');
    return row;
  }

  /** Runs `change` on the locked row (one of the viewer's, checked by the caller) if it is still SCHEDULED. */
  async #whileScheduled(
    id: string,
    verb: string,
    change: (tx: Parameters<Parameters<PrismaClient['$transaction']>[0]>[0]) => Promise<ScheduledRecord>,
  ): Promise<ScheduledRecord> {
    return this.prisma.$transaction(async (tx) => {
      const [row] = await tx.$queryRaw<{ status: ScheduledStatus }[]>`SELECT "status" FROM "ScheduledMessage" WHERE "id" = ${id}::uuid FOR UPDATE`;
      if (!row) throw notFound('Scheduled message');
      if (row.status !== ScheduledStatus.SCHEDULED) throw badInput(`This message is ${row.status.toLowerCase()} and cannot be ${verb} any more`, 'id');
      return change(tx);
    });
  }

  async #checkReply(chatId: string, replyToId: string | null): Promise<string | null> {
    if (replyToId === null) return null;
    const found = isUuid(replyToId) ? await this.prisma.message.findFirst({ where: { id: replyToId, chatId }, select: { id: true } }) : null;
    if (!found) throw badInput('replyToId must name a message of the same chat', 'replyToId');
    return replyToId;
  }

  async #byClientId(senderId: string, clientId: string, chatId: string): Promise<ScheduledRecord | null> {
    const first = await this.prisma.scheduledMessage.findUnique({ where: { senderId_clientId: { senderId, clientId } }, select: SCHEDULED_SELECT });
    if (first && first.chatId !== chatId) throw badInput('clientId was already used for a scheduled message in another chat', 'clientId');
    return first;
  }
}

/** What the sender is told; NOT_FOUND from the send means the chat is no longer theirs. */
function reasonOf(code: string, message: string): string {
  return code === 'NOT_FOUND' && message === 'Chat not found' ? 'You are no longer a member of this chat' : message;
}
