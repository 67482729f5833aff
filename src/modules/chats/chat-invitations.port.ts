/**
 * What chats needs of invitations (modules/invites implements it;
 * server/services.ts hands it in), declared here because invites imports
 * chats, not the other way round. Someone whose groupAdds privacy does not let
 * the adder put them into groups is not added: they are invited instead.
 */
export interface ChatInvitationsPort {
  /** Those of `userIds` whose groupAdds setting does not let `adderId` add them. */
  refusingAdds(adderId: string, userIds: readonly string[]): Promise<Set<string>>;
  /**
   * Invites each of `userIds` to the group (a personal invitation they accept
   * with joinChatByInvite) and tells them (GROUP_INVITATION). Idempotent: an
   * invitation still pending is renewed, not repeated.
   */
  invite(chat: { id: string; title: string }, adderId: string, userIds: readonly string[]): Promise<void>;
}
