import { Arg, Args, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { CurrentViewer } from '../../graphql/current-viewer.js';
import { PageArgs } from '../../graphql/page-args.js';
import type { Viewer } from '../../lib/viewer.js';
import { User, UserConnection } from '../users/index.js';

@Resolver(() => User)
export class BlockingResolver {
  @Authorized()
  @Mutation(() => Boolean, {
    description:
      'Blocks a user: in our private chat neither of us can send, react or forward into it (FORBIDDEN "You can\'t message this user"); ' +
      'they cannot open a new one or add me to groups, and see my presence, lastSeenAt, about and avatar as absent. They are not told. ' +
      'Shared groups are unaffected. Idempotent: true, also when already blocked. Not myself (BAD_USER_INPUT); an unknown user is NOT_FOUND.',
  })
  blockUser(@Arg('userId', () => ID) userId: string, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.blocking.block(viewer, userId);
  }

  @Authorized()
  @Mutation(() => Boolean, { description: 'Lifts my block of a user: everything is as before. True when there was a block; false (and no change) otherwise.' })
  unblockUser(@Arg('userId', () => ID) userId: string, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.blocking.unblock(viewer, userId);
  }

  @Authorized()
  @Query(() => UserConnection, { description: 'The users I blocked, the latest block first.' })
  blockedUsers(@Args(() => PageArgs) { first, after }: PageArgs, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.blocking.list(viewer, { first, after });
  }
}
