import DataLoader from 'dataloader';
import { Prisma, type PrismaClient } from '../../generated/prisma/client.js';
import { FILE_SELECT, type FileRecord } from './files.types.js';

export interface FileLoaders {
  fileById: DataLoader<string, FileRecord | null>;
  /** The seq of the message a file was sent with (an album's too); null for avatars (and a file whose message is gone). */
  seqOfFile: DataLoader<string, number | null>;
  /** An album's files in order, by message id; empty for a message sent with one multipart file (Message.file is all). */
  albumOf: DataLoader<string, FileRecord[]>;
}

export function createFileLoaders(prisma: PrismaClient): FileLoaders {
  const loaders: FileLoaders = {
    fileById: new DataLoader(async (ids) => {
      const rows = await prisma.file.findMany({ where: { id: { in: [...ids] } }, select: FILE_SELECT });
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    seqOfFile: new DataLoader(async (ids) => {
      // One statement whatever the mix: an album's later files are named by its MessageAttachment rows, not by Message.fileId.
      const rows = await prisma.$queryRaw<{ fileId: string; seq: number }[]>`
        SELECT m."fileId"::text AS "fileId", m."seq" FROM "Message" m WHERE m."fileId" = ANY(${[...ids]}::uuid[])
        UNION ALL
        SELECT a."fileId"::text AS "fileId", m."seq" FROM "MessageAttachment" a JOIN "Message" m ON m."id" = a."messageId"
        WHERE a."fileId" = ANY(${[...ids]}::uuid[])`;
      const byFile = new Map(rows.map((row) => [row.fileId, row.seq]));
      return ids.map((id) => byFile.get(id) ?? null);
    }),
    albumOf: new DataLoader(async (messageIds) => {
      // One statement for a page of messages, files included; each file also lands in fileById.
      const rows = await prisma.$queryRaw<(FileRecord & { messageId: string })[]>`
        SELECT a."messageId"::text AS "messageId", ${FILE_COLUMNS}
        FROM "MessageAttachment" a JOIN "File" f ON f."id" = a."fileId"
        WHERE a."messageId" = ANY(${[...messageIds]}::uuid[])
        ORDER BY a."messageId", a."position"`;
      const byMessage = new Map<string, FileRecord[]>();
      for (const { messageId, ...file } of rows) {
        byMessage.set(messageId, [...(byMessage.get(messageId) ?? []), file]);
        loaders.fileById.prime(file.id, file);
      }
      return messageIds.map((id) => byMessage.get(id) ?? []);
    }),
  };
  return loaders;
}

const FILE_COLUMNS = Prisma.raw(
  Object.keys(FILE_SELECT)
    .map((column) =>
      column === 'kind' ? 'f."kind"::text AS "kind"' : ['id', 'ownerId', 'chatId'].includes(column) ? `f."${column}"::text AS "${column}"` : `f."${column}"`,
    )
    .join(', '),
);
