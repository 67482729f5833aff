import DataLoader from 'dataloader';
import type { PrismaClient } from '../../generated/prisma/client.js';
import { FILE_SELECT, type FileRecord } from './files.types.js';

export interface FileLoaders {
  fileById: DataLoader<string, FileRecord | null>;
  /** The seq of the message a file was sent with; null for avatars (and a file whose message is gone). */
  seqOfFile: DataLoader<string, number | null>;
}

export function createFileLoaders(prisma: PrismaClient): FileLoaders {
  return {
    fileById: new DataLoader(async (ids) => {
      const rows = await prisma.file.findMany({ where: { id: { in: [...ids] } }, select: FILE_SELECT });
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    seqOfFile: new DataLoader(async (ids) => {
      const rows = await prisma.message.findMany({ where: { fileId: { in: [...ids] } }, select: { fileId: true, seq: true } });
      const byFile = new Map(rows.map((row) => [row.fileId, row.seq]));
      return ids.map((id) => byFile.get(id) ?? null);
    }),
  };
}
