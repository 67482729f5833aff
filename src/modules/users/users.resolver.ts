import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Info, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { AllowedDuringPasswordChange } from '../../graphql/auth-checker.js';
import { CurrentViewer } from '../../graphql/current-viewer.js';
import type { Viewer } from '../../lib/viewer.js';
import { AuthReason, unauthenticated } from '../../lib/errors.js';
import { PresenceEvent, Role, User, UserConnection, isUserAsOfEvent, type UserRecord } from './user.types.js';
import { UpdateProfileInput } from './users.inputs.js';
import { relationOf, seesAbout, seesPresence, seesRole } from './users.policy.js';
import { type PresencePayload } from './user.topics.js';
import { PageArgs } from '../../graphql/page-args.js';

@Resolver(() => User)
export class UsersResolver {
  @Authorized()
  @AllowedDuringPasswordChange()
  @Query(() => User)
  me(@CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.users.me(viewer);
  }

  @Authorized()
  @Query(() => User, { nullable: true, description: 'A user by id, or null. What of the profile is shown depends on who asks (see the User fields).' })
  user(@Arg('id', () => ID) id: string, @Ctx() ctx: Context) {
    return ctx.services.users.byId(id);
  }

  @Authorized()
  @Query(() => UserConnection, {
    description:
      'Active users found by `search` (required: 3–64 characters after trimming): usernames that start with it (any case), ' +
      'and display names that contain it (any case) among people who share a chat with me. `%`, `_` and `\\` match themselves. ' +
      'Ordered by username; limited per user (RATE_LIMIT_USER_SEARCH, default 30 a minute). Admins list everyone with adminUsers.',
  })
  users(
    @Arg('search', () => String, { nullable: true }) search: string | null,
    @Args(() => PageArgs) { first, after }: PageArgs,
    @CurrentViewer() viewer: Viewer,
    @Ctx() ctx: Context,
  ) {
    return ctx.services.users.find(viewer, { search, first, after });
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
      if (!context.viewer) throw unauthenticated(AuthReason.TOKEN_INVALID, 'Subscriptions need a signed-in WebSocket connection');
      return context.services.presence.subscribe(context.viewer, args['userIds'] as string[] | null);
    },
  })
  presence(@Root() payload: PresencePayload, @Arg('userIds', () => [ID], { nullable: true }) _userIds: string[] | null): Omit<PresenceEvent, 'user'> {
    return { ...payload, lastSeenAt: payload.lastSeenAt ? new Date(payload.lastSeenAt) : null };
  }

  @FieldResolver(() => Boolean, {
    description:
      'Connected right now on at least one device. Real for myself, admins and people who share a chat with the user, unless the user ' +
      'hides their last seen (privacy.lastSeen NOBODY) or I hide mine (reciprocity); false for others.',
  })
  async online(@Root() user: UserRecord, @Ctx() ctx: Context, @Info() info: GraphQLResolveInfo): Promise<boolean> {
    // PresenceEvent.user: what the event says, which its receivers (chosen at publish, privacy included) were told anyway.
    if (isUserAsOfEvent(user)) return user.asOfEvent.status === 'ONLINE';
    return (await seesPresence(ctx.viewer, user, await relationOf(user, ctx, info), ctx.loaders)) ? ctx.loaders.onlineById.load(user.id) : false;
  }

  @FieldResolver(() => Date, {
    nullable: true,
    description:
      'When the user was last connected; null while never seen, for viewers who do not share a chat with the user, when the user hides it ' +
      '(privacy.lastSeen NOBODY) and when I hide mine (reciprocity). Admins and the user see it.',
  })
  async lastSeenAt(@Root() user: UserRecord, @Ctx() ctx: Context, @Info() info: GraphQLResolveInfo): Promise<Date | null> {
    // After OFFLINE, the event's time (it carries it anyway); an ONLINE event carries none, so the rules below apply.
    if (isUserAsOfEvent(user) && user.asOfEvent.status === 'OFFLINE') return user.asOfEvent.lastSeenAt;
    return (await seesPresence(ctx.viewer, user, await relationOf(user, ctx, info), ctx.loaders)) ? user.lastSeenAt : null;
  }

  @FieldResolver(() => String, {
    nullable: true,
    description:
      'Shown as the user chose (privacy.about): to every signed-in user (EVERYONE), people who share a chat with the user (CHATS, the default) ' +
      'or nobody; always to the user and admins; null for others.',
  })
  async about(@Root() user: UserRecord, @Ctx() ctx: Context, @Info() info: GraphQLResolveInfo): Promise<string | null> {
    return seesAbout(await relationOf(user, ctx, info), user) ? user.about : null;
  }

  @FieldResolver(() => Role, { nullable: true, description: 'Shown to the user themself and to admins; null for others.' })
  async role(@Root() user: UserRecord, @Ctx() ctx: Context, @Info() info: GraphQLResolveInfo): Promise<Role | null> {
    return seesRole(await relationOf(user, ctx, info)) ? user.role : null;
  }
}
