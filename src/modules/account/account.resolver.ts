import { Arg, Authorized, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { CurrentViewer } from '../../graphql/current-viewer.js';
import type { Viewer } from '../../lib/viewer.js';
import { User, type UserRecord } from '../users/index.js';

@Resolver()
export class AccountResolver {
  @Authorized()
  @Mutation(() => Boolean, {
    description:
      'Deletes my account for good, after my password (wrong: BAD_USER_INPUT; it counts as a failed sign-in). Every session and socket ends at once; ' +
      'I leave my groups; my files, avatar, settings and push subscriptions go; my messages stay, from "Deleted account". ' +
      'My username stays reserved for 30 days.',
  })
  deleteAccount(@Arg('password', () => String) password: string, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.account.deleteAccount(viewer, password, { ip: ctx.clientIp });
  }

  @Authorized()
  @Mutation(() => String, {
    description:
      'A link to a zip of my data (profile, chats, my messages, my files), downloaded without a token, working for 10 minutes. ' +
      'RATE_LIMIT_DATA_EXPORT (3 an hour) links, and as many downloads.',
  })
  requestDataExport(@CurrentViewer() viewer: Viewer, @Ctx() ctx: Context): Promise<string> {
    return ctx.services.account.requestExport(viewer, ctx.origin);
  }
}

@Resolver(() => User)
export class UserDeletedResolver {
  @FieldResolver(() => Boolean, {
    description: 'Its owner deleted the account: it shows as "Deleted account", and its messages stay where they were sent.',
  })
  deleted(@Root() user: UserRecord): boolean {
    return user.deletedAt !== null;
  }
}
