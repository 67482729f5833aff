import type { PrismaClient } from '../../generated/prisma/client.js';
import type { ChatKind, MessageKind } from '../../generated/prisma/enums.js';
import { AppError, ErrorCode, badInput, conflict, isUniqueViolation, notFound } from '../../lib/errors.js';
import type { RateLimits } from '../../lib/rate-limits.js';
import { newestFirst, type Connection } from '../../lib/relay.js';
import { isUuid } from '../../lib/text.js';
import { isAdmin, type Viewer } from '../../lib/viewer.js';
import type { AccountAdmin } from '../admin/index.js';
import { readsSeq, requireReader, type ChatLoaders } from '../chats/index.js';
import type { FilesService } from '../files/index.js';
import { viewOf, type MessageChangesService, type MessageLoaders, type MessageRecord } from '../messages/index.js';
import type { UserLoaders } from '../users/index.js';
import { cleanNote } from './reports.inputs.js';
import { REPORT_SELECT, type ReportAction, type ReportReason, type ReportRecord, type ReportStatus } from './reports.types.js';

type Loaders = ChatLoaders & MessageLoaders & UserLoaders;

/** The reported message, read under a FOR SHARE lock with what the snapshot keeps of its chat and sender. */
interface LockedMessage {
  id: string;
  chatId: string;
  seq: number;
  senderId: string | null;
  kind: MessageKind;
  text: string | null;
  fileId: string | null;
  createdAt: Date;
  editedAt: Date | null;
  deletedAt: Date | null;
  forwardCount: number;
  chatKind: ChatKind;
  chatTitle: string | null;
  senderUsername: string | null;
  senderName: string | null;
}

const STATUS_OF: Record<ReportAction, ReportStatus> = { DISMISS: 'DISMISSED', DELETE_MESSAGE: 'RESOLVED', DEACTIVATE_USER: 'RESOLVED' };

const alreadyOpen = () => conflict('You already reported this, and the report is still open');
const alreadyResolved = () => conflict('This report is already resolved', 'reportId');

/** What can be reported: not a SYSTEM message, not a tombstone, not one's own. */
function requireReportable(viewer: Viewer, message: Pick<MessageRecord, 'kind' | 'deletedAt' | 'senderId'>): void {
  if (message.kind === 'SYSTEM') throw badInput('SYSTEM messages cannot be reported', 'messageId');
  if (message.deletedAt !== null) throw badInput('A deleted message cannot be reported', 'messageId');
  if (message.senderId === viewer.id) throw badInput('You cannot report your own message', 'messageId');
}

/**
 * Reports and their moderation. A report of a message keeps a snapshot of it
 * (text, sender, kind, chat, the file's description) and a hold on the file's
 * stored bytes (FilesService.hold), written under a share lock on the message
 * row, so an edit or a deletion for everyone waits for it and cannot slip in
 * between; the hold ends when the report is resolved. Each reporter has at
 * most one open report per target (Report.openKey); filing costs from
 * RATE_LIMIT_REPORTS. Admins resolve through the existing paths: a deletion
 * for everyone (MessageLog.change) and AccountAdmin's deactivation.
 */
export class ReportsService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly files: Pick<FilesService, 'hold' | 'release'>,
    private readonly messageChanges: Pick<MessageChangesService, 'deleteAsModerator'>,
    private readonly accounts: Pick<AccountAdmin, 'setActive' | 'audit'>,
    private readonly limits: Pick<RateLimits, 'reports'>,
  ) {}

  /** A message the viewer can read (NOT_FOUND otherwise), not their own, not SYSTEM, not deleted for everyone. */
  async reportMessage(viewer: Viewer, loaders: Loaders, messageId: string, reason: ReportReason, rawNote?: string | null): Promise<ReportRecord> {
    const note = cleanNote(rawNote);
    const found = isUuid(messageId) ? await loaders.messageById.load(messageId) : null;
    if (!found) throw notFound('Message');
    const { ranges } = await requireReader(loaders, viewer, found.chatId);
    if (!readsSeq(ranges, found.seq)) throw notFound('Message');
    requireReportable(viewer, found);
    return this.#file(viewer, async () =>
      this.prisma.$transaction(async (tx) => {
        // The File row first, then the message: deleting a File row locks it and then updates the message naming
        // it (ON DELETE SET NULL), so the other order could deadlock with deleteFile or a deletion for everyone.
        // An album (sendAttachments) is held whole, in its order; its first file is the message's own.
        const album = await this.#album(tx, found.id);
        const file = found.fileId === null ? null : await this.files.hold(tx, found.fileId);
        const others = [];
        for (const fileId of album.slice(1)) others.push(await this.files.hold(tx, fileId));
        // FOR SHARE: an edit or a deletion of the message waits until the snapshot and the hold are committed.
        const [message] = await tx.$queryRaw<LockedMessage[]>`
          SELECT m."id"::text AS "id", m."chatId"::text AS "chatId", m."seq", m."senderId"::text AS "senderId", m."kind"::text AS "kind",
                 m."text", m."fileId"::text AS "fileId", m."createdAt", m."editedAt", m."deletedAt", m."forwardCount",
                 c."kind"::text AS "chatKind", c."title" AS "chatTitle", u."username" AS "senderUsername", u."displayName" AS "senderName"
          FROM "Message" m JOIN "Chat" c ON c."id" = m."chatId" LEFT JOIN "User" u ON u."id" = m."senderId"
          WHERE m."id" = ${found.id}::uuid
          FOR SHARE OF m`;
        if (!message) throw notFound('Message');
        requireReportable(viewer, message);
        // Held, the File row cannot have gone; unheld (it had), the message no longer names it.
        if (message.fileId !== (file ? found.fileId : null)) throw conflict('The message changed while it was being reported; try again');
        // Likewise the album: a file deleted since it was read is no longer attached, so a hold that missed it shows.
        const attached = await this.#album(tx, found.id);
        if (others.some((hold) => hold === null) || attached.length !== album.length) {
          throw conflict('The message changed while it was being reported; try again');
        }
        return tx.report.create({
          data: {
            reporterId: viewer.id,
            messageId: message.id,
            userId: message.senderId,
            reason,
            note,
            openKey: `message:${message.id}`,
            snapshot: {
              create: {
                messageId: message.id,
                chatId: message.chatId,
                chatKind: message.chatKind,
                chatTitle: message.chatTitle,
                seq: message.seq,
                senderId: message.senderId,
                senderUsername: message.senderUsername,
                senderName: message.senderName,
                kind: message.kind,
                text: message.text,
                sentAt: message.createdAt,
                editedAt: message.editedAt,
                forwardCount: message.forwardCount,
                ...(file && {
                  fileMimeType: file.mimeType,
                  fileSize: file.size,
                  fileName: file.originalName,
                  fileWidth: file.width,
                  fileHeight: file.height,
                  fileChecksum: file.checksum,
                  fileHoldId: file.id,
                }),
                albumFiles: {
                  create: others.flatMap((held, index) =>
                    held === null
                      ? []
                      : [
                          {
                            position: index + 1,
                            mimeType: held.mimeType,
                            size: held.size,
                            fileName: held.originalName,
                            width: held.width,
                            height: held.height,
                            checksum: held.checksum,
                            holdId: held.id,
                          },
                        ],
                  ),
                },
              },
            },
          },
          select: REPORT_SELECT,
        });
      }),
    );
  }

  /** Any other user (NOT_FOUND for an unknown one); not myself (BAD_USER_INPUT). */
  async reportUser(viewer: Viewer, loaders: Loaders, userId: string, reason: ReportReason, rawNote?: string | null): Promise<ReportRecord> {
    const note = cleanNote(rawNote);
    const user = isUuid(userId) ? await loaders.userById.load(userId) : null;
    if (user?.id === viewer.id) throw badInput('You cannot report yourself', 'userId');
    if (!user) throw notFound('User');
    return this.#file(viewer, () =>
      this.prisma.report.create({
        data: { reporterId: viewer.id, userId: user.id, reason, note, openKey: `user:${user.id}` },
        select: REPORT_SELECT,
      }),
    );
  }

  /** The viewer's reports, newest first. */
  async mine(viewer: Viewer, args: { first?: number | null; after?: string | null }): Promise<Connection<ReportRecord>> {
    const page = newestFirst('report', 'createdAt', args);
    const rows = await this.prisma.report.findMany({
      where: { reporterId: viewer.id, ...page.where },
      orderBy: page.orderBy,
      take: page.take,
      select: REPORT_SELECT,
    });
    return page.connection(rows);
  }

  /** adminReports: every report (or those of one status), newest first. Each call is audited: it shows what was reported. */
  async list(admin: Viewer, args: { status?: ReportStatus | null; first?: number | null; after?: string | null }): Promise<Connection<ReportRecord>> {
    const page = newestFirst('admin-report', 'createdAt', args);
    const rows = await this.prisma.report.findMany({
      where: { ...(args.status ? { status: args.status } : {}), ...page.where },
      orderBy: page.orderBy,
      take: page.take,
      select: REPORT_SELECT,
    });
    await this.accounts.audit(
      { admin },
      'READ_REPORTS',
      null,
      { status: args.status ?? null, first: page.size, after: args.after ?? null, returned: Math.min(rows.length, page.size) },
      null,
    );
    return page.connection(rows);
  }

  /**
   * adminResolveReport. The action runs first, through its own path, then the
   * report is closed (only if still open: CONFLICT otherwise), its hold on the
   * file ended and the resolution audited, in one transaction; the bytes go
   * after commit unless something else names them. Both actions are
   * idempotent, so two admins racing leave one resolution and one CONFLICT.
   */
  async resolve(admin: Viewer, reportId: string, action: ReportAction, rawNote?: string | null): Promise<ReportRecord> {
    const note = cleanNote(rawNote);
    const report = isUuid(reportId) ? await this.prisma.report.findUnique({ where: { id: reportId }, select: REPORT_SELECT }) : null;
    if (!report) throw notFound('Report');
    if (report.status !== 'OPEN') throw alreadyResolved();
    const done: Record<string, unknown> = {};
    if (action === 'DELETE_MESSAGE') {
      if (!report.snapshot) throw badInput('This report is about a user: there is no message to delete', 'action');
      done['deleted'] = report.messageId !== null && (await this.#deleteMessage(admin, report));
    } else if (action === 'DEACTIVATE_USER') {
      if (report.userId !== null) await this.accounts.setActive({ admin }, report.userId, false);
      done['deactivated'] = report.userId !== null;
    }
    let removeBytes: (() => Promise<void>) | undefined;
    const resolved = await this.prisma.$transaction(async (tx) => {
      const { count } = await tx.report.updateMany({
        where: { id: report.id, status: 'OPEN' },
        data: { status: STATUS_OF[action], action, resolution: note, resolvedAt: new Date(), openKey: null },
      });
      if (count === 0) throw alreadyResolved();
      const holdIds = [report.snapshot?.fileHold, ...(report.snapshot?.albumFiles ?? []).map((kept) => kept.hold)].flatMap((hold) => (hold ? [hold.id] : []));
      const removals: (() => Promise<void>)[] = [];
      for (const holdId of holdIds) removals.push(await this.files.release(tx, holdId));
      if (removals.length > 0) removeBytes = async () => void (await Promise.all(removals.map((remove) => remove())));
      await this.accounts.audit(
        { admin },
        'RESOLVE_REPORT',
        report.id,
        { action, messageId: report.messageId, userId: report.userId, note, ...done },
        'Report',
        tx,
      );
      return tx.report.findUniqueOrThrow({ where: { id: report.id }, select: REPORT_SELECT });
    });
    await removeBytes?.();
    return resolved;
  }

  /** The reported message as the viewer may see it now: admins see it as it is; the reporter while they can read it. */
  async liveMessage(viewer: Viewer | null, loaders: ChatLoaders & MessageLoaders, report: ReportRecord): Promise<MessageRecord | null> {
    if (!viewer || report.messageId === null) return null;
    const message = await loaders.messageById.load(report.messageId);
    if (!message) return null;
    if (isAdmin(viewer)) return message;
    if (report.reporterId !== viewer.id) return null;
    try {
      const { ranges } = await requireReader(loaders, viewer, message.chatId);
      return readsSeq(ranges, message.seq) ? await viewOf(loaders, viewer, message) : null;
    } catch (error) {
      if (error instanceof AppError && error.code === ErrorCode.NOT_FOUND) return null;
      throw error;
    }
  }

  /** Deletes the reported message for everyone (audited); false when it is already gone. */
  async #deleteMessage(admin: Viewer, report: ReportRecord): Promise<boolean> {
    let message: MessageRecord;
    try {
      message = await this.messageChanges.deleteAsModerator(report.messageId!);
    } catch (error) {
      if (error instanceof AppError && error.code === ErrorCode.NOT_FOUND) return false;
      throw error;
    }
    await this.accounts.audit({ admin }, 'DELETE_MESSAGE', message.id, { reportId: report.id, chatId: message.chatId }, 'Message');
    return true;
  }

  /** An album's file ids in its order; empty for any other message. */
  async #album(tx: Pick<PrismaClient, 'messageAttachment'>, messageId: string): Promise<string[]> {
    const rows = await tx.messageAttachment.findMany({ where: { messageId }, orderBy: { position: 'asc' }, select: { fileId: true } });
    return rows.map((row) => row.fileId);
  }

  /** Charges the reporter's budget, and gives it back when no report is filed (a duplicate is CONFLICT). */
  async #file(viewer: Viewer, create: () => Promise<ReportRecord>): Promise<ReportRecord> {
    await this.limits.reports.takeAll(viewer.id, 1, 'REPORTS');
    try {
      return await create();
    } catch (error) {
      await this.limits.reports.refund(viewer.id);
      throw isUniqueViolation(error) ? alreadyOpen() : error;
    }
  }
}
