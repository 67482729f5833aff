import DataLoader from 'dataloader';
import type { PrismaClient } from '../../generated/prisma/client.js';
import { FILE_SELECT, type FileRecord } from './files.types.js';

export interface FileLoaders {
  fileById: DataLoader<string, FileRecord | null>;
}

export function createFileLoaders(prisma: PrismaClient): FileLoaders {
  return {
    fileById: new DataLoader(async (ids) => {
      const rows = await prisma.file.findMany({ where: { id: { in: [...ids] } }, select: FILE_SELECT });
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
  };
}
