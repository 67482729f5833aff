import { Field, InputType, Int } from 'type-graphql';
import { badInput } from '../../lib/errors.js';

/** Links of one group that may be usable at once (not revoked, expired or used up); also what Chat.inviteLinks lists. */
export const MAX_INVITE_LINKS = 100;
/** Pending invitations Chat.invitedUsers lists, newest first (as many as a default group has members). */
export const MAX_INVITED_LISTED = 1024;
/** A link's maxUses, at most (Telegram's figure). */
export const MAX_LINK_USES = 99_999;
/** How far ahead a link's expiresAt may be. */
const MAX_LINK_LIFETIME_MS = 366 * 24 * 3600 * 1000;

@InputType('InviteLinkInput', { description: 'Without it: a link that never expires, for any number of people, joining at once.' })
export class InviteLinkInput {
  @Field(() => Date, { nullable: true, description: 'The link stops working at this time (in the future, within a year).' })
  expiresAt?: Date | null;

  @Field(() => Int, { nullable: true, description: 'The link admits this many people (1–99,999), then stops working. Not with requiresApproval.' })
  maxUses?: number | null;

  @Field(() => Boolean, { nullable: true, description: 'Using the link asks the admins (joinRequests) instead of joining. Default false.' })
  requiresApproval?: boolean | null;
}

export interface LinkSettings {
  expiresAt: Date | null;
  maxUses: number | null;
  requiresApproval: boolean;
}

export function checkLinkInput(input: InviteLinkInput | null | undefined, now = new Date()): LinkSettings {
  const expiresAt = input?.expiresAt ?? null;
  const maxUses = input?.maxUses ?? null;
  const requiresApproval = input?.requiresApproval ?? false;
  if (expiresAt && (Number.isNaN(expiresAt.getTime()) || expiresAt <= now || expiresAt.getTime() - now.getTime() > MAX_LINK_LIFETIME_MS)) {
    throw badInput('expiresAt must be a time in the coming year', 'expiresAt');
  }
  if (maxUses !== null && (!Number.isInteger(maxUses) || maxUses < 1 || maxUses > MAX_LINK_USES)) {
    throw badInput(`maxUses must be from 1 to ${MAX_LINK_USES}`, 'maxUses');
  }
  // Telegram's rule: with approval the admins decide who comes in, so a count of admissions would be a second, muddier limit.
  if (maxUses !== null && requiresApproval) throw badInput('maxUses does not go with requiresApproval: the admins choose who joins', 'maxUses');
  return { expiresAt, maxUses, requiresApproval };
}
