/** The one answer to every refused attempt to reach someone across a block, whoever blocked whom. */
export const CANNOT_MESSAGE = "You can't message this user";
/** createGroupChat and addGroupMembers naming someone who blocked the adder; who it was is not said. */
export const CANNOT_ADD = "You can't add this user";

/**
 * What chats needs to know of blocks (modules/blocking implements it;
 * server/services.ts hands it in), declared here because blocking imports
 * chats, not the other way round.
 */
export interface ChatBlocksPort {
  /** Whether either of the two has blocked the other. */
  between(userId: string, otherId: string): Promise<boolean>;
  /** Whether any of `userIds` has blocked `userId`. */
  anyBlocks(userIds: readonly string[], userId: string): Promise<boolean>;
}
