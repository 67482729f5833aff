import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { CurrentViewer } from '../../graphql/current-viewer.js';
import type { Viewer } from '../../lib/viewer.js';
import { Chat, readsSeq, requireReader, type ChatRecord } from '../chats/index.js';
import { Message, viewsOf, type MessageRecord } from '../messages/index.js';

@Resolver()
export class PinsResolver {
  @Authorized()
  @Mutation(() => Chat, {
    description:
      'Pins a message of a chat (both people of a private chat; group admins, or every member when onlyAdminsCanEditInfo is false). ' +
      'At most 3 per chat: a fourth unpins the oldest pin. Posts a SYSTEM message; each message whose pin changed gets a new rev ' +
      '(messageUpdated); members get chatUpdated. Pinning a pinned message changes nothing.',
  })
  pinMessage(@Arg('messageId', () => ID) messageId: string, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context): Promise<ChatRecord> {
    return ctx.services.pins.pin(viewer, ctx.loaders, messageId);
  }

  @Authorized()
  @Mutation(() => Chat, {
    description: 'Unpins a message (same people as pinMessage), without a SYSTEM message. Unpinning one that is not pinned changes nothing.',
  })
  unpinMessage(@Arg('messageId', () => ID) messageId: string, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context): Promise<ChatRecord> {
    return ctx.services.pins.unpin(viewer, ctx.loaders, messageId);
  }
}

@Resolver(() => Chat)
export class ChatPinnedMessagesResolver {
  @FieldResolver(() => [Message], { description: 'At most 3, newest pin first. A message you deleted for yourself is not among them.' })
  async pinnedMessages(@Root() chat: ChatRecord, @Ctx() ctx: Context): Promise<MessageRecord[]> {
    if (!ctx.viewer) return [];
    const [{ ranges }, pinned] = await Promise.all([requireReader(ctx.loaders, ctx.viewer, chat.id), ctx.loaders.pinnedByChat.load(chat.id)]);
    // A former (or rejoined) member sees only the pins within the history they read.
    const seen = await viewsOf(
      ctx.loaders,
      ctx.viewer,
      pinned.filter((message) => readsSeq(ranges, message.seq)),
    );
    // In a viewer's own view a message they deleted is a tombstone, and a tombstone is not pinned.
    return seen.filter((message) => message.pinnedAt !== null);
  }
}
