import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Authorized, Ctx, FieldResolver, Info, Mutation, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { CurrentViewer } from '../../graphql/current-viewer.js';
import type { Viewer } from '../../lib/viewer.js';
import { PrivacyInput } from './privacy.inputs.js';
import { Privacy, privacyOf } from './privacy.types.js';
import { User, type UserRecord } from './user.types.js';
import { relationOf } from './users.policy.js';

@Resolver(() => User)
export class PrivacyResolver {
  @FieldResolver(() => Privacy, { nullable: true, description: 'My privacy settings: only on me; null on everyone else (admins included).' })
  async privacy(@Root() user: UserRecord, @Ctx() ctx: Context, @Info() info: GraphQLResolveInfo): Promise<Privacy | null> {
    return (await relationOf(user, ctx, info)) === 'self' ? privacyOf(user) : null;
  }

  @Authorized()
  @Mutation(() => User, {
    description:
      'Changes my privacy settings (only those given) and returns me. lastSeen takes CHATS or NOBODY (EVERYONE: BAD_USER_INPUT). ' +
      'Takes effect at once, for open subscriptions too.',
  })
  updatePrivacy(@Arg('input', () => PrivacyInput) input: PrivacyInput, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.privacy.update(viewer, input);
  }
}
