import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { CurrentViewer } from '../../graphql/current-viewer.js';
import type { Viewer } from '../../lib/viewer.js';
import { Chat, clearedSeqOf, type ChatRecord } from '../chats/index.js';

@Resolver(() => Chat)
export class ChatHistoryResolver {
  @Authorized()
  @Mutation(() => Chat, {
    description:
      'Hides every message of the chat up to now, for me (all my devices: chatUpdated, chatChanges); the others see nothing change. ' +
      'The chat stays in my list, read, with no lastMessage until the next one. Works for a chat I left too (its history up to my leaving).',
  })
  clearChat(@Arg('chatId', () => ID) chatId: string, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context): Promise<ChatRecord> {
    return ctx.services.chatHistory.clear(viewer, ctx.loaders, chatId);
  }

  @Authorized()
  @Mutation(() => Boolean, {
    description:
      'Removes the chat from my list and feeds (chatChanges.removedChatIds); reading it is NOT_FOUND afterwards. A group I am in, I leave first ' +
      '(as leaveChat). A private chat comes back, empty, with the next message or createPrivateChat; a group when I am added back.',
  })
  deleteChat(@Arg('chatId', () => ID) chatId: string, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.chatHistory.delete(viewer, ctx.loaders, chatId);
  }

  @FieldResolver(() => Int, {
    description:
      'I cleared the chat up to this seq (clearChat); 0 when never. Messages at or below it are not shown to me: a device drops those it holds, ' +
      'and ignores events about them.',
  })
  clearedUpToSeq(@Root() chat: ChatRecord, @Ctx() ctx: Context): Promise<number> {
    return clearedSeqOf(ctx.loaders, ctx.viewer, chat);
  }
}
