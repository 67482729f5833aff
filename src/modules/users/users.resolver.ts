import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { CurrentViewer } from '../../graphql/current-viewer.js';
import type { Viewer } from '../../lib/viewer.js';
import { unauthenticated } from '../../lib/errors.js';
import type { PresencePayload } from '../../realtime/topics.js';
import { PresenceEvent, User, UserConnection, type UserRecord } from './user.types.js';
import { UpdateProfileInput } from './users.inputs.js';

@Resolver(() => User)
export class UsersResolver {
  @Authorized()
  @Query(() => User)
  me(@CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.users.me(viewer);
  }

  @Authorized()
  @Query(() => User, { nullable: true })
  user(@Arg('id', () => ID) id: string, @Ctx() ctx: Context) {
    return ctx.services.users.byId(id);
  }

  @Authorized()
  @Query(() => UserConnection, { description: 'Active users whose username or display name starts with `search`.' })
  users(
    @Arg('search', () => String, { nullable: true }) search: string | null,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
  ) {
    return ctx.services.users.search({ search, first, after, active: true });
  }

  @Authorized()
  @Mutation(() => User)
  updateProfile(@Arg('input', () => UpdateProfileInput) input: UpdateProfileInput, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.users.updateProfile(viewer, input);
  }

  @Authorized()
  @Subscription(() => PresenceEvent, {
    description: 'Users who share a chat with me going online or offline (only the listed ones, if userIds is given).',
    subscribe: ({ args, context }: { args: Record<string, unknown>; context: Context }) => {
      if (!context.viewer) throw unauthenticated('Subscriptions need a signed-in WebSocket connection');
      return context.services.presence.subscribe(context.viewer, args['userIds'] as string[] | null);
    },
  })
  presence(@Root() payload: PresencePayload, @Arg('userIds', () => [ID], { nullable: true }) _userIds: string[] | null): PresenceEvent {
    return { ...payload, lastSeenAt: payload.lastSeenAt ? new Date(payload.lastSeenAt) : null };
  }

  @FieldResolver(() => Boolean, { description: 'Connected right now on at least one device.' })
  online(@Root() user: UserRecord, @Ctx() ctx: Context): Promise<boolean> {
    return ctx.loaders.onlineById.load(user.id);
  }
}
