import { Arg, Authorized, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { CurrentViewer } from '../../graphql/current-viewer.js';
import type { Viewer } from '../../lib/viewer.js';
import { Chat } from './chat.types.js';
import { GroupSettingsInput } from './groups.inputs.js';

@Resolver(() => Chat)
export class GroupsResolver {
  @Authorized()
  @Mutation(() => Chat, {
    description:
      'Groups: title and description (admins, or every member when onlyAdminsCanEditInfo is false), onlyAdminsCanSend and ' +
      'onlyAdminsCanEditInfo (admins). Each change posts a SYSTEM message; every member gets chatUpdated.',
  })
  updateGroupSettings(
    @Arg('chatId', () => ID) chatId: string,
    @Arg('input', () => GroupSettingsInput) input: GroupSettingsInput,
    @CurrentViewer() viewer: Viewer,
    @Ctx() ctx: Context,
  ) {
    return ctx.services.groups.update(viewer, ctx.loaders, chatId, input);
  }

  @Authorized()
  @Mutation(() => Chat, { description: 'Group admins only; the user must be a member (NOT_FOUND otherwise).' })
  promoteGroupAdmin(@Arg('chatId', () => ID) chatId: string, @Arg('userId', () => ID) userId: string, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.groups.promote(viewer, ctx.loaders, chatId, userId);
  }

  @Authorized()
  @Mutation(() => Chat, {
    description: 'Group admins only (yourself included); the user must be a member. The last admin cannot step down: BAD_USER_INPUT.',
  })
  demoteGroupAdmin(@Arg('chatId', () => ID) chatId: string, @Arg('userId', () => ID) userId: string, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.groups.demote(viewer, ctx.loaders, chatId, userId);
  }
}
