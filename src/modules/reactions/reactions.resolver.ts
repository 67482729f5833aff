import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { CurrentViewer } from '../../graphql/current-viewer.js';
import { SameForEveryViewerAsAppended } from '../../graphql/event-fields.js';
import { PageArgs } from '../../graphql/page-args.js';
import type { Viewer } from '../../lib/viewer.js';
import { Message, type MessageRecord } from '../messages/index.js';
import { UserConnection } from '../users/index.js';
import { ReactionGroup, type ReactionGroupRecord } from './reaction.types.js';

/** Message's reaction fields and the two mutations. Per viewer: none is @SameForEveryViewer. */
@Resolver(() => Message)
export class ReactionsResolver {
  @Authorized()
  @Mutation(() => Message, {
    description:
      'My reaction to a message: one per member per message, replacing the one I had. emoji is exactly one emoji (RGI: ZWJ sequences, ' +
      'skin tones, keycaps and flags included). The same emoji again changes nothing. Not on deleted or SYSTEM messages (FORBIDDEN).',
  })
  setReaction(@Arg('messageId', () => ID) messageId: string, @Arg('emoji', () => String) emoji: string, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.reactions.set(viewer, ctx.loaders, messageId, emoji);
  }

  @Authorized()
  @Mutation(() => Message, { description: 'Takes my reaction back; without one, changes nothing and returns the message.' })
  removeReaction(@Arg('messageId', () => ID) messageId: string, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.reactions.remove(viewer, ctx.loaders, messageId);
  }

  @SameForEveryViewerAsAppended()
  @FieldResolver(() => [ReactionGroup], {
    description: 'One group per emoji, most used first (ties: the earliest first reaction first); empty on a deleted message.',
  })
  reactions(@Root() message: MessageRecord, @Ctx() ctx: Context): Promise<ReactionGroupRecord[]> {
    return ctx.services.reactions.groups(ctx.viewer, ctx.loaders, message);
  }

  @SameForEveryViewerAsAppended()
  @FieldResolver(() => String, { nullable: true, description: 'My reaction; null when I have none, and on a deleted message.' })
  myReaction(@Root() message: MessageRecord, @Ctx() ctx: Context): Promise<string | null> {
    return ctx.services.reactions.mine(ctx.viewer, ctx.loaders, message);
  }
}

@Resolver(() => ReactionGroup)
export class ReactionGroupResolver {
  @FieldResolver(() => UserConnection, { description: 'Who reacted with this emoji, newest reaction first.' })
  users(@Root() group: ReactionGroupRecord, @Args(() => PageArgs) { first, after }: PageArgs, @Ctx() ctx: Context) {
    return ctx.services.reactions.users(ctx.loaders, group, { first, after });
  }
}
