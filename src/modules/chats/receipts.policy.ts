import { readReceiptsShown, type UserLoaders } from '../users/index.js';
import type { ChatLoaders } from './chats.loaders.js';

/**
 * Whether reads in this chat are hidden among these members (the reader and
 * whoever would learn of the read): in a private chat, when either turned
 * read receipts off (privacy.readReceipts), reciprocal as in WhatsApp. Groups
 * always show them. The watermarks themselves are stored as usual (my unread
 * counts need mine); only what others are shown of them changes: READ becomes
 * DELIVERED, a member's readSeq 0.
 */
export async function readsHidden(
  loaders: Pick<ChatLoaders, 'chatById'> & Pick<UserLoaders, 'userById'>,
  chatId: string,
  userIds: readonly string[],
): Promise<boolean> {
  const chat = await loaders.chatById.load(chatId);
  if (chat?.kind !== 'PRIVATE') return false;
  return !(await readReceiptsShown(loaders, userIds));
}
