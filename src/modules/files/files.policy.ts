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
 * it; an album's files too); a group's photo, its members and former members;
 * for profile pictures (no chat), any signed-in user as User.avatar shows it
 * (privacy.profilePhoto, blocking): an id seen earlier gives no way around
 * it. A finished resumable upload not sent yet (no chat, nobody's avatar) is
 * its owner's alone.
 */
export async function canViewFile(loaders: FileViewLoaders, viewer: Viewer, file: FileRecord): Promise<boolean> {
  if (file.chatId === null) {
    if (file.ownerId === viewer.id) return true;
    // Without a chat it is a profile picture, or a finished upload not sent yet (the owner's alone).
    const owner = await loaders.userById.load(file.ownerId);
    return owner?.avatarId === file.id && seesAvatar(viewer, owner, loaders);
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

/**
 * Many files at once (Query.files): each the viewer may see, else null, in
 * the order of `ids`. Every rule of {@link canViewFile} goes through the
 * loaders, so the checks of all of them batch into the same few statements.
 */
export async function viewableFiles(loaders: FileViewLoaders, viewer: Viewer, ids: readonly string[]): Promise<(FileRecord | null)[]> {
  return Promise.all(
    ids.map(async (id) => {
      const file = isUuid(id) ? await loaders.fileById.load(id) : null;
      return file && (await canViewFile(loaders, viewer, file)) ? file : null;
    }),
  );
}

/** Deleting is for the uploader: others who can see the file get FORBIDDEN, everyone else NOT_FOUND. */
export async function requireOwnFile(loaders: FileViewLoaders, viewer: Viewer, id: string): Promise<FileRecord> {
  const file = await requireViewableFile(loaders, viewer, id);
  if (file.ownerId !== viewer.id) throw forbidden('Only the uploader can delete a file');
  return file;
}
