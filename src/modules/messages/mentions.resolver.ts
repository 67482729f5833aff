import { Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { CurrentViewer } from '../../graphql/current-viewer.js';
import type { Viewer } from '../../lib/viewer.js';
import { Chat, type ChatRecord } from '../chats/index.js';
import { User, type UserRecord } from '../users/index.js';
import { unreadMentionKey } from './mentions.loaders.js';
import type { MessageRecord } from './message.record.js';
import { Message } from './message.types.js';

// Not @SameForEveryViewer: the value is the same for every member, but it is read from the database, not the payload.
@Resolver(() => Message)
export class MessageMentionsResolver {
  @FieldResolver(() => [User], {
    description: 'Members the text mentions by @username (not the sender), by username; empty for a deleted message.',
  })
  async mentions(@Root() message: MessageRecord, @Ctx() ctx: Context): Promise<UserRecord[]> {
    if (message.deletedAt !== null || message.text === null || !message.text.includes('@')) return [];
    const ids = await ctx.loaders.mentionsByMessage.load(message.id);
    const users = await Promise.all(ids.map((id) => ctx.loaders.userById.load(id)));
    return users.filter((user): user is UserRecord => user !== null);
  }
}

@Resolver(() => Chat)
export class ChatMentionsResolver {
  @FieldResolver(() => Int, { description: 'Messages mentioning me after my read watermark.' })
  unreadMentionCount(@Root() chat: ChatRecord, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context): Promise<number> {
    return ctx.loaders.unreadMentionCount.load(unreadMentionKey(viewer.id, chat.id));
  }
}
