import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { CurrentViewer } from '../../graphql/current-viewer.js';
import { PageArgs } from '../../graphql/page-args.js';
import type { Viewer } from '../../lib/viewer.js';
import { Chat, type ChatRecord } from '../chats/index.js';
import { FileNode, type FileRecord } from '../files/index.js';
import { User, type UserRecord } from '../users/index.js';
import { InviteLinkInput } from './invites.inputs.js';
import {
  ChatInvitePreview,
  InviteLink,
  JoinByInvitePayload,
  JoinRequest,
  JoinRequestConnection,
  type JoinRequestRecord,
  type LinkRecord,
  type PreviewRecord,
} from './invites.types.js';

@Resolver()
export class InvitesResolver {
  @Authorized()
  @Query(() => ChatInvitePreview, {
    description:
      'The group a code leads to, without joining. NOT_FOUND alike for an unknown, revoked, expired or used-up code. ' +
      'Tries count against RATE_LIMIT_INVITES (per user) and RATE_LIMIT_INVITES_IP.',
  })
  chatInvitePreview(@Arg('code', () => String) code: string, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context): Promise<PreviewRecord> {
    return ctx.services.invites.preview({ viewer, ip: ctx.clientIp }, code);
  }

  @Authorized()
  @Query(() => JoinRequestConnection, { description: 'Pending requests to join, newest first; group admins only.' })
  joinRequests(@Arg('chatId', () => ID) chatId: string, @Args(() => PageArgs) page: PageArgs, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.invites.requests(viewer, ctx.loaders, chatId, page);
  }

  @Authorized()
  @Mutation(() => InviteLink, { description: 'A new invite link to a group; group admins only. At most 100 working links per group.' })
  createInviteLink(
    @Arg('chatId', () => ID) chatId: string,
    @Arg('input', () => InviteLinkInput, { nullable: true }) input: InviteLinkInput | null,
    @CurrentViewer() viewer: Viewer,
    @Ctx() ctx: Context,
  ): Promise<LinkRecord> {
    return ctx.services.invites.create(viewer, ctx.loaders, chatId, input);
  }

  @Authorized()
  @Mutation(() => Boolean, { description: "The link stops working at once; pending requests stay. The group's admins only; true also when revoked already." })
  revokeInviteLink(@Arg('code', () => String) code: string, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.invites.revoke(viewer, ctx.loaders, code);
  }

  @Authorized()
  @Mutation(() => JoinByInvitePayload, {
    description:
      'Joins the group (chat), or, for a link that needs approval, asks its admins (request; asking again returns the pending one). ' +
      'A member gets the chat back. NOT_FOUND alike for an unknown, revoked, expired or used-up code; counted like chatInvitePreview.',
  })
  joinChatByInvite(@Arg('code', () => String) code: string, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.invites.join({ viewer, ip: ctx.clientIp }, ctx.loaders, code);
  }

  @Authorized()
  @Mutation(() => Chat, { description: 'Lets the requester in (the member cap applies) and tells them (JOIN_APPROVED); group admins only.' })
  approveJoinRequest(@Arg('requestId', () => ID) requestId: string, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context): Promise<ChatRecord> {
    return ctx.services.invites.approve(viewer, ctx.loaders, requestId);
  }

  @Authorized()
  @Mutation(() => Boolean, { description: 'Turns the request down and tells the requester (JOIN_DECLINED); they may ask again. Group admins only.' })
  declineJoinRequest(@Arg('requestId', () => ID) requestId: string, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.invites.decline(viewer, ctx.loaders, requestId);
  }
}

@Resolver(() => Chat)
export class ChatInvitesResolver {
  @FieldResolver(() => [InviteLink], {
    description: "The group's invite links, working ones first, newest first (at most 100); empty for anyone but its admins.",
  })
  inviteLinks(@Root() chat: ChatRecord, @Ctx() ctx: Context): Promise<LinkRecord[]> {
    return ctx.services.invites.links(ctx.viewer, ctx.loaders, chat);
  }

  @FieldResolver(() => [User], {
    description:
      'People invited instead of added (their groupAdds privacy kept the adder out) until they accept or the invitation lapses (7 days), newest first (at most 1,024); ' +
      'empty for anyone but the group admins.',
  })
  invitedUsers(@Root() chat: ChatRecord, @Ctx() ctx: Context): Promise<UserRecord[]> {
    return ctx.services.invites.invitedUsers(ctx.viewer, ctx.loaders, chat);
  }
}

@Resolver(() => JoinRequest)
export class JoinRequestResolver {
  @FieldResolver(() => User)
  async user(@Root() request: JoinRequestRecord, @Ctx() ctx: Context): Promise<UserRecord> {
    const user = await ctx.loaders.userById.load(request.userId);
    if (!user) throw new Error(`join request ${request.id} has no user row`);
    return user;
  }
}

@Resolver(() => ChatInvitePreview)
export class ChatInvitePreviewResolver {
  @FieldResolver(() => FileNode, { nullable: true, description: 'The group picture; null when none.' })
  avatar(@Root() preview: PreviewRecord, @Ctx() ctx: Context): Promise<FileRecord | null> | null {
    return preview.avatarId ? ctx.loaders.fileById.load(preview.avatarId) : null;
  }
}
