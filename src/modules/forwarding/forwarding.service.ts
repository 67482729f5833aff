import { createHash } from 'node:crypto';
import type { PrismaClient } from '../../generated/prisma/client.js';
import { badInput, conflict, forbidden, isUniqueViolation, notFound } from '../../lib/errors.js';
import type { RateLimits } from '../../lib/rate-limits.js';
import { isUuid } from '../../lib/text.js';
import type { Viewer } from '../../lib/viewer.js';
import { requireMembership, type ChatLoaders, type Tx } from '../chats/index.js';
import type { FilesService } from '../files/index.js';
import { MESSAGE_SELECT, cleanClientId, viewOf, type MessageLoaders, type MessageLog, type MessageRecord } from '../messages/index.js';

/** Chats one forward may reach (docs/api-contract.md, Wave 2: "forwarding to at most 5 chats"). */
export const MAX_FORWARD_TARGETS = 5;

/**
 * The clientIds of a forward's copies. Message has one unique (senderId,
 * clientId), so each copy needs its own: "fwd <40 hex of sha256(clientId)>
 * <index>" (46 characters, within the column's 64, whatever the client's
 * clientId). The spaces make them a namespace of their own: cleanClientId
 * refuses spaces, so no sendMessage clientId can ever be one of these, and
 * no client's key needs refusing. A retry looks up all five, so a retry naming
 * fewer or other chats is seen for what it is.
 */
export function copyClientIds(clientId: string): string[] {
  const digest = createHash('sha256').update(clientId, 'utf8').digest('hex').slice(0, 40);
  return Array.from({ length: MAX_FORWARD_TARGETS }, (_, index) => `fwd ${digest} ${index}`);
}

/** 1 to 5 distinct chat ids, in the caller's order (ids lower-cased, so one chat cannot be named twice in two spellings). */
function cleanTargets(toChatIds: readonly string[]): string[] {
  if (toChatIds.length === 0 || toChatIds.length > MAX_FORWARD_TARGETS) {
    throw badInput(`toChatIds must name 1 to ${MAX_FORWARD_TARGETS} chats`, 'toChatIds');
  }
  const ids = toChatIds.map((id) => (isUuid(id) ? id.toLowerCase() : id));
  if (new Set(ids).size !== ids.length) throw badInput('toChatIds must not name a chat twice', 'toChatIds');
  return ids;
}

/** What can be forwarded: not a SYSTEM message, not a tombstone, not a media message whose file is gone. */
function requireForwardable(message: MessageRecord): void {
  if (message.kind === 'SYSTEM') throw forbidden('SYSTEM messages cannot be forwarded');
  if (message.deletedAt !== null) throw forbidden('A deleted message cannot be forwarded');
  if (message.kind !== 'TEXT' && message.fileId === null) throw fileGone();
}

const fileGone = () => forbidden('The file of this message was deleted: it cannot be forwarded');

type Loaders = ChatLoaders & MessageLoaders;

/**
 * forwardMessage: copies of a message, sent by the forwarder to up to five
 * chats of theirs, all or none, in one transaction. A copy keeps the kind and
 * the text, not the reply; a media copy gets a File row of its own over the
 * same stored bytes (FilesService.copyForForward).
 */
export class ForwardingService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly log: MessageLog,
    private readonly files: FilesService,
    private readonly limits: RateLimits,
  ) {}

  /**
   * Forwards a message the viewer can see to chats they are in; the copies
   * come back in the order of `toChatIds`. With a clientId, a retry (even a
   * concurrent one) returns the first attempt's copies and sends nothing.
   */
  async forward(viewer: Viewer, loaders: Loaders, messageId: string, toChatIds: readonly string[], rawClientId?: string | null): Promise<MessageRecord[]> {
    const targets = cleanTargets(toChatIds);
    const clientId = cleanClientId(rawClientId);
    const source = isUuid(messageId) ? await loaders.messageById.load(messageId) : null;
    if (!source) throw notFound('Message');
    await requireMembership(loaders, viewer, source.chatId);
    await Promise.all(targets.map((chatId) => requireMembership(loaders, viewer, chatId)));

    const copyIds = clientId ? copyClientIds(clientId) : null;
    if (copyIds) {
      // A retry is answered before the source's rules: it stays answerable after the source is deleted.
      const stored = await this.#stored(this.prisma, viewer.id, copyIds, targets);
      if (stored) return stored;
    }
    requireForwardable(source);
    if ((await viewOf(loaders, viewer, source)).deletedAt !== null) throw forbidden('A deleted message cannot be forwarded');

    // Each copy is a message sent: a forward to N chats costs N, all or nothing.
    await this.limits.messages.takeAll(viewer.id, targets.length, 'MESSAGES');
    try {
      const { copies, existing } = await this.log.transaction(async (tx, append) => {
        // The targets' locks first, in one order for every forward (no two forwards deadlock), and before the
        // source's File row: a deletion for everyone takes its chat's lock, then that row's (AttachmentsPort.detach).
        const locked = await tx.$queryRaw<{ id: string }[]>`
          SELECT "id"::text AS "id" FROM "Chat" WHERE "id" = ANY(${targets}::uuid[]) ORDER BY "id" FOR NO KEY UPDATE`;
        if (locked.length !== targets.length) throw notFound('Chat');
        if (copyIds) {
          // A concurrent retry of this forward that got the locks first has committed by now.
          const stored = await this.#stored(tx, viewer.id, copyIds, targets);
          if (stored) return { copies: stored, existing: true };
        }
        // Read again in the transaction: deleted for everyone, or its file deleted, since it was loaded.
        const current = await tx.message.findUnique({ where: { id: source.id }, select: MESSAGE_SELECT });
        if (!current) throw notFound('Message');
        requireForwardable(current);
        // An album (sendAttachments) goes whole, in its order: a copy of each file, the first as the copy's file.
        const album =
          current.kind === 'TEXT'
            ? []
            : await tx.messageAttachment.findMany({ where: { messageId: current.id }, orderBy: { position: 'asc' }, select: { fileId: true } });
        const sourceFiles = album.length > 0 ? album.map((row) => row.fileId) : current.fileId === null ? [] : [current.fileId];
        const copies: MessageRecord[] = [];
        for (const [index, chatId] of targets.entries()) {
          const fileIds: string[] = [];
          for (const sourceId of sourceFiles) {
            const copied = await this.files.copyForForward(tx, sourceId, { chatId, ownerId: viewer.id });
            if (copied === null) throw fileGone();
            fileIds.push(copied);
          }
          const fileId = fileIds[0] ?? null;
          const { message } = await append({
            chatId,
            senderId: viewer.id,
            kind: current.kind,
            text: current.text,
            clientId: copyIds?.[index] ?? null,
            fileId,
            requireMember: viewer.id,
            readBy: viewer.id,
            forwardCount: current.forwardCount + 1,
          });
          if (album.length > 0) {
            await tx.messageAttachment.createMany({ data: fileIds.map((copy, position) => ({ messageId: message.id, position, fileId: copy })) });
          }
          copies.push(message);
        }
        return { copies, existing: false };
      });
      if (existing) await this.limits.messages.refund(viewer.id, targets.length);
      // The targets were loaded before their new messages: the copies' `chat` must show them.
      for (const chatId of targets) {
        loaders.chatById.clear(chatId);
        loaders.membersByChat.clear(chatId);
      }
      loaders.memberOf.clearAll();
      return copies;
    } catch (error) {
      // Nothing was sent: nothing is charged.
      await this.limits.messages.refund(viewer.id, targets.length);
      if (copyIds && isUniqueViolation(error)) {
        // A concurrent retry naming other chats committed first (one naming the same ones waits for its locks).
        const stored = await this.#stored(this.prisma, viewer.id, copyIds, targets);
        if (stored) return stored;
      }
      throw error;
    }
  }

  /**
   * The copies an earlier forward with this clientId sent, in the order of
   * `targets`; null when there was none. CONFLICT when it went to other chats.
   */
  async #stored(db: Tx, senderId: string, copyIds: string[], targets: string[]): Promise<MessageRecord[] | null> {
    const rows = await db.message.findMany({ where: { senderId, clientId: { in: copyIds } }, select: MESSAGE_SELECT });
    if (rows.length === 0) return null;
    const byClientId = new Map(rows.map((row) => [row.clientId, row]));
    const copies = targets.map((_, index) => byClientId.get(copyIds[index]!));
    if (rows.length !== targets.length || copies.some((copy, index) => copy?.chatId !== targets[index])) {
      throw conflict('clientId was already used for a forward to other chats', 'clientId');
    }
    return copies as MessageRecord[];
  }
}
