import { Arg, Authorized, Ctx, ID, Int, Mutation, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { CurrentViewer } from '../../graphql/current-viewer.js';
import type { Viewer } from '../../lib/viewer.js';
import { Chat, type ChatRecord } from '../chats/index.js';

@Resolver()
export class MessageTimersResolver {
  @Authorized()
  @Mutation(() => Chat, {
    description:
      'Disappearing messages: messages sent from now on are deleted for everyone `seconds` after they were sent ' +
      '(86400: 24 hours, 604800: 7 days, 7776000: 90 days; null or 0: off; anything else is BAD_USER_INPUT). Earlier messages keep ' +
      'what they had. Both people of a private chat; in a group its admins, or every member when onlyAdminsCanEditInfo is false. ' +
      'A change posts a SYSTEM message and every member gets chatUpdated; setting the value the chat has changes nothing.',
  })
  setChatMessageTimer(
    @Arg('chatId', () => ID) chatId: string,
    @Arg('seconds', () => Int, { nullable: true }) seconds: number | null,
    @CurrentViewer() viewer: Viewer,
    @Ctx() ctx: Context,
  ): Promise<ChatRecord> {
    return ctx.services.messageTimers.set(viewer, ctx.loaders, chatId, seconds);
  }
}
