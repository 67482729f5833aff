import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ZipArchive, type EntryData } from 'archiver';
import { Prisma, type PrismaClient } from '../../generated/prisma/client.js';
import type { Logger } from '../../lib/logger.js';
import type { FileStore } from '../../media/file-store.js';

/** Rows read per statement while the zip is written: memory holds one page, whatever the account's size. */
const PAGE = 500;

interface ExportedFile {
  id: string;
  chatId: string | null;
  kind: string;
  mimeType: string;
  size: number;
  originalName: string | null;
  createdAt: Date;
  storageKey: string;
}

/** Whose data to write, as the route found them. */
export interface ExportOwner {
  id: string;
  username: string;
}

/**
 * A user's data as a zip, written to `out` as it is read (requestDataExport):
 *
 * - `profile.json`: the profile and privacy settings;
 * - `chats.json`: the chats I am in (with my settings) and the memberships I
 *   left and kept;
 * - `messages.jsonl`: every message I sent, one JSON object a line, oldest first;
 * - `files.jsonl` and `files/<id>-<name>`: what I uploaded, and its bytes.
 *
 * Memory stays constant: the lists are read a page at a time while the
 * archive pulls them, one entry after another, and the archive is written
 * only as fast as `out` takes it (a slow download reads the database
 * slowly). It is not a snapshot: what changes during a long download may or
 * may not be in it.
 */
export class DataExporter {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly store: FileStore,
    private readonly logger: Logger,
  ) {}

  async write(owner: ExportOwner, out: Writable): Promise<void> {
    const archive = new ZipArchive({ zlib: { level: 6 } });
    // Reported through `written` (and to the entry being added); never an unhandled 'error' between entries.
    archive.on('error', () => undefined);
    archive.on('warning', (warning: Error) => this.logger.warn({ err: warning }, 'data export warning'));
    const written = pipeline(archive, out);
    // pipeline reports a failure of either side; the entries below wait on the archive, so it must end too.
    written.catch(() => undefined);
    let current: Readable | undefined;
    const add = (source: Readable, name: string, date?: Date) => {
      current = source;
      return appendEntry(archive, source, { name, ...(date ? { date } : {}) });
    };
    try {
      await add(bytes(this.#profile(owner.id)), 'profile.json');
      await add(bytes(this.#chats(owner.id)), 'chats.json');
      await add(bytes(this.#messages(owner.id)), 'messages.jsonl');
      await add(bytes(this.#fileList(owner.id)), 'files.jsonl');
      for await (const file of this.#files(owner.id)) {
        let stream: Readable;
        try {
          stream = await this.store.get(file.storageKey);
        } catch (error) {
          // The row is there but the bytes are not: the listing says so, and the rest still comes.
          this.logger.error({ err: error, fileId: file.id }, 'exported file missing from the store');
          continue;
        }
        await add(stream, filePath(file), file.createdAt);
      }
      current = undefined;
      await archive.finalize();
      await written;
    } catch (error) {
      current?.destroy();
      archive.destroy();
      throw error;
    }
  }

  async *#profile(userId: string): AsyncGenerator<string> {
    const user = await this.prisma.user.findUniqueOrThrow({
      where: { id: userId },
      select: {
        id: true,
        username: true,
        displayName: true,
        about: true,
        role: true,
        createdAt: true,
        lastSeenAt: true,
        avatarId: true,
        lastSeenVisibility: true,
        profilePhotoVisibility: true,
        aboutVisibility: true,
        groupAddsVisibility: true,
        readReceipts: true,
      },
    });
    const { lastSeenVisibility, profilePhotoVisibility, aboutVisibility, groupAddsVisibility, readReceipts, ...profile } = user;
    yield `${JSON.stringify(
      {
        exportedAt: new Date(),
        user: profile,
        privacy: { lastSeen: lastSeenVisibility, profilePhoto: profilePhotoVisibility, about: aboutVisibility, groupAdds: groupAddsVisibility, readReceipts },
      },
      null,
      2,
    )}\n`;
  }

  /** `{ "chats": [...], "formerMemberships": [...] }`, a page of rows at a time. */
  async *#chats(userId: string): AsyncGenerator<string> {
    yield '{\n"chats": [';
    let first = true;
    for await (const member of pages(
      (after: string | undefined) =>
        this.prisma.chatMember.findMany({
          where: { userId, ...(after ? { chatId: { gt: after } } : {}) },
          orderBy: { chatId: 'asc' },
          take: PAGE,
          select: {
            chatId: true,
            isAdmin: true,
            joinedAt: true,
            muted: true,
            mutedUntil: true,
            archived: true,
            pinnedAt: true,
            notifyLevel: true,
            chat: {
              select: {
                kind: true,
                title: true,
                description: true,
                createdAt: true,
                lastSeq: true,
                _count: { select: { members: true } },
                // A private chat is with someone: who.
                members: { where: { userId: { not: userId } }, take: 1, select: { user: { select: { id: true, username: true, displayName: true } } } },
              },
            },
          },
        }),
      (row) => row.chatId,
    )) {
      const { chat, chatId: _chatId, ...mine } = member;
      const entry = {
        id: member.chatId,
        kind: chat.kind,
        title: chat.kind === 'GROUP' ? chat.title : null,
        description: chat.description,
        with: chat.kind === 'PRIVATE' ? (chat.members[0]?.user ?? null) : null,
        memberCount: chat._count.members,
        createdAt: chat.createdAt,
        lastSeq: chat.lastSeq,
        membership: mine,
      };
      yield `${first ? '\n' : ',\n'}${JSON.stringify(entry)}`;
      first = false;
    }
    yield '\n],\n"formerMemberships": [';
    first = true;
    for await (const period of pages(
      (after: string | undefined) =>
        this.prisma.chatMembershipPeriod.findMany({
          where: { userId, deletedAt: null, ...(after ? { id: { gt: after } } : {}) },
          orderBy: { id: 'asc' },
          take: PAGE,
          select: { id: true, chatId: true, fromSeq: true, toSeq: true, leftAt: true, chat: { select: { kind: true, title: true } } },
        }),
      (row) => row.id,
    )) {
      const { id: _id, chat, ...kept } = period;
      yield `${first ? '\n' : ',\n'}${JSON.stringify({ ...kept, kind: chat.kind, title: chat.title })}`;
      first = false;
    }
    yield '\n]\n}\n';
  }

  /**
   * One message a line, by (createdAt, id): each page is one seek into the
   * index on (senderId, createdAt, id), the row comparison spelled as the
   * index is (with `createdAt > x OR (createdAt = x AND id > y)` PostgreSQL
   * reads and sorts every earlier row again, page after page: 220,000
   * messages took 500 s). PostgreSQL writes each line's JSON.
   */
  async *#messages(userId: string): AsyncGenerator<string> {
    for await (const row of pages(
      (after: { createdAt: Date; id: string } | undefined) => {
        const position = after
          ? Prisma.sql`AND (m."senderId", m."createdAt", m."id") > (${userId}::uuid, ${after.createdAt}, ${after.id}::uuid)`
          : Prisma.empty;
        return this.prisma.$queryRaw<{ id: string; createdAt: Date; line: string }[]>`
        SELECT m."id"::text AS "id", m."createdAt",
               json_build_object('id', m."id", 'chatId', m."chatId", 'seq', m."seq", 'kind', m."kind", 'text', m."text",
                 'replyToId', m."replyToId", 'fileId', m."fileId", 'createdAt', ${iso('m."createdAt"')},
                 'editedAt', ${iso('m."editedAt"')}, 'deletedAt', ${iso('m."deletedAt"')}, 'forwardCount', m."forwardCount")::text AS "line"
        FROM "Message" m
        WHERE m."senderId" = ${userId}::uuid ${position}
        ORDER BY m."createdAt", m."id"
        LIMIT ${PAGE}`;
      },
      (row) => ({ createdAt: row.createdAt, id: row.id }),
    )) {
      yield `${row.line}\n`;
    }
  }

  async *#fileList(userId: string): AsyncGenerator<string> {
    for await (const file of this.#files(userId)) {
      const { storageKey: _key, ...listed } = file;
      yield `${JSON.stringify({ ...listed, path: filePath(file) })}\n`;
    }
  }

  /** The user's files by (createdAt, id), a seek into the index on (ownerId, createdAt, id) per page, as for messages. */
  #files(userId: string) {
    return pages(
      (after: { createdAt: Date; id: string } | undefined) => {
        const position = after ? Prisma.sql`AND ("ownerId", "createdAt", "id") > (${userId}::uuid, ${after.createdAt}, ${after.id}::uuid)` : Prisma.empty;
        return this.prisma.$queryRaw<ExportedFile[]>`
          SELECT "id"::text AS "id", "chatId"::text AS "chatId", "kind"::text AS "kind", "mimeType", "size", "originalName", "createdAt", "storageKey"
          FROM "File" WHERE "ownerId" = ${userId}::uuid ${position}
          ORDER BY "createdAt", "id"
          LIMIT ${PAGE}`;
      },
      (row) => ({ createdAt: row.createdAt, id: row.id }),
    );
  }
}

/** A timestamp as JSON.stringify writes a Date (UTC, milliseconds, `Z`), so every file of the export reads alike. */
const iso = (column: string) => Prisma.raw(`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);

/** Rows a page at a time, keyset-paged: `next` gives the position after a row. */
async function* pages<Row, Position>(read: (after: Position | undefined) => Promise<Row[]>, next: (row: Row) => Position): AsyncGenerator<Row> {
  let after: Position | undefined;
  for (;;) {
    const rows = await read(after);
    yield* rows;
    if (rows.length < PAGE) return;
    after = next(rows.at(-1)!);
  }
}

/** What {@link bytes} gathers before handing a chunk on: a line each would cost the archive a write (and a deflate call) each. */
const CHUNK_BYTES = 64 * 1024;

/** A byte stream of what a generator yields, in chunks of about 64 KiB, read only as the archive asks for it. */
const bytes = (source: AsyncGenerator<string>): Readable =>
  Readable.from(
    (async function* () {
      let pending: string[] = [];
      let length = 0;
      for await (const text of source) {
        pending.push(text);
        length += text.length;
        if (length < CHUNK_BYTES) continue;
        yield Buffer.from(pending.join(''));
        pending = [];
        length = 0;
      }
      if (length > 0) yield Buffer.from(pending.join(''));
    })(),
    { objectMode: false },
  );

/** `files/<id>-<name>`: the id keeps names apart; the name is the uploader's, already cleaned, with no path in it. */
function filePath(file: { id: string; originalName: string | null }): string {
  const name = (file.originalName ?? 'file').replace(/[/\\\p{Cc}]/gu, '_');
  return `files/${file.id}-${name}`;
}

/**
 * Appends one entry and resolves once the archive has written all of it, so
 * the next source is opened only then (one file open at a time). The
 * archive's queue takes one entry at a time, so `entry` events come in order.
 */
function appendEntry(archive: ZipArchive, source: Readable, data: { name: string; date?: Date }): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: unknown) => {
      archive.off('entry', onEntry);
      archive.off('error', done);
      archive.off('close', onClose);
      if (error === undefined) resolve();
      else reject(error);
    };
    const onEntry = (entry: EntryData) => {
      if (entry.name === data.name) done();
    };
    const onClose = () => done(new Error('The archive closed before the entry was written'));
    archive.on('entry', onEntry);
    archive.once('error', done);
    archive.once('close', onClose);
    archive.append(source, data);
  });
}
