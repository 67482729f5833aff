import { AppError, ErrorCode, forbidden, notFound } from '../../lib/errors.js';
import { isUuid } from '../../lib/text.js';
import type { Viewer } from '../../lib/viewer.js';
import { readsSeq, requireReader, type ChatLoaders } from '../chats/index.js';
import { seesAvatar, type UserLoaders } from '../users/index.js';
import type { FileLoaders } from './files.loaders.js';
import type { FileRecord } from './files.types.js';

/**
 * Who may see a file (and get its signed URLs): those who read the message it
 * was sent with (members of its chat, and former members whose history holds
 * it); a group's photo, its members and former members; for profile
 * pictures (no chat), any signed-in user, but for the owner's current avatar
 * as User.avatar shows it (privacy.profilePhoto, blocking): an id seen
 * earlier gives no way around it.
 */
export async function canViewFile(loaders: FileViewLoaders, viewer: Viewer, file: FileRecord): Promise<boolean> {
  if (file.chatId === null) {
    if (file.ownerId === viewer.id) return true;
    const owner = await loaders.userById.load(file.ownerId);
    return owner?.avatarId !== file.id || seesAvatar(viewer, owner, loaders);
  }
  try {
    const { chat, ranges } = await requireReader(loaders, viewer, file.chatId);
    // A group's photo is sent with no message: its readers see it, as they see its title.
    if (ranges === null || chat.avatarId === file.id) return true;
    const seq = await loaders.seqOfFile.load(file.id);
    return seq !== null && readsSeq(ranges, seq);
  } catch (error) {
    if (error instanceof AppError && error.code === ErrorCode.NOT_FOUND) return false;
    throw error;
  }
}

/** What deciding who sees a file reads. */
export type FileViewLoaders = ChatLoaders & FileLoaders & Pick<UserLoaders, 'userById' | 'ties'>;

/** The file, if the viewer may see it; otherwise NOT_FOUND, exactly as if it did not exist. */
export async function requireViewableFile(loaders: FileViewLoaders, viewer: Viewer, id: string): Promise<FileRecord> {
  const file = isUuid(id) ? await loaders.fileById.load(id) : null;
  if (!file || !(await canViewFile(loaders, viewer, file))) throw notFound('File');
  return file;
}

/** Deleting is for the uploader: others who can see the file get FORBIDDEN, everyone else NOT_FOUND. */
export async function requireOwnFile(loaders: FileViewLoaders, viewer: Viewer, id: string): Promise<FileRecord> {
  const file = await requireViewableFile(loaders, viewer, id);
  if (file.ownerId !== viewer.id) throw forbidden('Only the uploader can delete a file');
  return file;
}
