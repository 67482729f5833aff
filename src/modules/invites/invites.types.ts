import { Field, ID, Int, ObjectType } from 'type-graphql';
import { connectionTypes } from '../../lib/relay.js';
import { Chat, type ChatRecord } from '../chats/index.js';

/** A ChatInvite row as the service reads it. */
export interface InviteRecord {
  id: string;
  chatId: string;
  code: string;
  createdById: string | null;
  inviteeId: string | null;
  expiresAt: Date | null;
  maxUses: number | null;
  uses: number;
  requiresApproval: boolean;
  revokedAt: Date | null;
  createdAt: Date;
}

export const INVITE_SELECT = {
  id: true,
  chatId: true,
  code: true,
  createdById: true,
  inviteeId: true,
  expiresAt: true,
  maxUses: true,
  uses: true,
  requiresApproval: true,
  revokedAt: true,
  createdAt: true,
} as const;

/** Whether a code still lets someone in at `now`: not revoked, not expired, not used up. */
export const isUsable = (invite: Pick<InviteRecord, 'revokedAt' | 'expiresAt' | 'maxUses' | 'uses'>, now = new Date()): boolean =>
  invite.revokedAt === null && (invite.expiresAt === null || invite.expiresAt > now) && (invite.maxUses === null || invite.uses < invite.maxUses);

@ObjectType('InviteLink', { description: "A way into a group for whoever has the code; group admins see their group's links in Chat.inviteLinks." })
export class InviteLink {
  @Field(() => String, { description: '22 characters (128 random bits, base64url); pass it to chatInvitePreview and joinChatByInvite.' })
  code!: string;

  @Field(() => Date, { nullable: true, description: 'It stops working at this time; null: never.' })
  expiresAt!: Date | null;

  @Field(() => Int, { nullable: true, description: 'It admits this many people; null: any number.' })
  maxUses!: number | null;

  @Field(() => Int, { description: 'People who joined through it (with requiresApproval: requests filed through it).' })
  uses!: number;

  @Field(() => Boolean, { description: 'Using it files a join request for the admins instead of joining.' })
  requiresApproval!: boolean;

  @Field(() => Boolean, { description: 'Revoked (revokeInviteLink): it no longer works.' })
  revoked!: boolean;

  @Field(() => Date)
  createdAt!: Date;
}

/** An InviteLink as resolvers return it. */
export type LinkRecord = InviteLink;

export const toLink = (invite: InviteRecord): LinkRecord => ({
  code: invite.code,
  expiresAt: invite.expiresAt,
  maxUses: invite.maxUses,
  uses: invite.uses,
  requiresApproval: invite.requiresApproval,
  revoked: invite.revokedAt !== null,
  createdAt: invite.createdAt,
});

/** What a code shows before joining; avatar is a field resolver (invites.resolver.ts). */
export interface PreviewRecord {
  title: string;
  description: string | null;
  avatarId: string | null;
  memberCount: number;
}

@ObjectType('ChatInvitePreview', { description: 'The group an invite code leads to, as it shows before joining.' })
export class ChatInvitePreview {
  @Field(() => String)
  title!: string;

  @Field(() => String, { nullable: true })
  description!: string | null;

  @Field(() => Int)
  memberCount!: number;
}

/** A ChatJoinRequest row; `user` is a field resolver. */
export interface JoinRequestRecord {
  id: string;
  chatId: string;
  userId: string;
  createdAt: Date;
}

export const JOIN_REQUEST_SELECT = { id: true, chatId: true, userId: true, createdAt: true } as const;

@ObjectType('JoinRequest', { description: 'Someone asked to join a group through a link that needs approval.' })
export class JoinRequest {
  @Field(() => ID)
  id!: string;

  @Field(() => Date)
  createdAt!: Date;
}

export const JoinRequestConnection = connectionTypes('JoinRequest', JoinRequest, { totalCount: true });

@ObjectType('JoinByInvitePayload', { description: 'chat when I joined (or was in already); request when the link needs approval.' })
export class JoinByInvitePayload {
  @Field(() => Chat, { nullable: true })
  chat!: ChatRecord | null;

  @Field(() => JoinRequest, { nullable: true, description: 'My pending request: the admins decide; I am told (JOIN_APPROVED or JOIN_DECLINED).' })
  request!: JoinRequestRecord | null;
}
