import { Authorized, Ctx, FieldResolver, Mutation, Resolver, Root, Subscription } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { CurrentViewer } from '../../graphql/current-viewer.js';
import { AuthReason, unauthenticated } from '../../lib/errors.js';
import type { Viewer } from '../../lib/viewer.js';
import { User, type UserRecord } from '../users/index.js';
import { UnreadSummary, type UnreadTotals } from './unread.types.js';

@Resolver(() => UnreadSummary)
export class UnreadResolver {
  @Authorized()
  @Mutation(() => UnreadSummary, {
    description:
      'Reads every chat I am a member of up to its last message (as markRead does: receipts to the senders and my devices, ' +
      'marked unread ends); my totals after it (zeros, unless a message came meanwhile).',
  })
  markAllChatsRead(@CurrentViewer() viewer: Viewer, @Ctx() ctx: Context): Promise<UnreadTotals> {
    return ctx.services.unread.markAllChatsRead(viewer, ctx.loaders);
  }

  @Authorized()
  @Subscription(() => UnreadSummary, {
    description:
      'My totals (as me.unread) whenever they change: a message, a read on any of my devices, a mute, archive or marked-unread change. ' +
      'At most one event every 2 s: changes within that window come as one event with the latest totals.',
    subscribe: ({ context }: { context: Context }) => {
      if (!context.viewer) throw unauthenticated(AuthReason.TOKEN_INVALID, 'Subscriptions need a signed-in WebSocket connection');
      return context.services.unread.subscribe(context.viewer);
    },
  })
  unreadChanged(@Root() totals: UnreadTotals): UnreadTotals {
    return totals;
  }
}

/** The field of User that this module owns. */
@Resolver(() => User)
export class UserUnreadResolver {
  @FieldResolver(() => UnreadSummary, {
    nullable: true,
    description: 'My unread totals across my chats, for an app badge (see UnreadSummary). Shown to the user themself; null for others.',
  })
  unread(@Root() user: UserRecord, @Ctx() ctx: Context): Promise<UnreadTotals | null> {
    return ctx.services.unread.of(ctx.viewer, user.id);
  }
}
