import type { MemberRecord } from '../chats/index.js';
import { MessageStatus } from './message.types.js';

/** The lowest seq any member has reached, and the next lowest, so a sender can be left out in O(1). */
interface Floor {
  readonly lowest: number;
  readonly lowestUserId: string | null;
  readonly next: number;
}

interface Floors {
  readonly read: Floor;
  readonly delivered: Floor;
}

function floorOf(members: readonly MemberRecord[], seqOf: (member: MemberRecord) => number): Floor {
  let lowest = Number.POSITIVE_INFINITY;
  let lowestUserId: string | null = null;
  let next = Number.POSITIVE_INFINITY;
  for (const member of members) {
    const seq = seqOf(member);
    if (seq < lowest) {
      next = lowest;
      lowest = seq;
      lowestUserId = member.userId;
    } else if (seq < next) next = seq;
  }
  return { lowest, lowestUserId, next };
}

/** The lowest seq among members other than `senderId` (Infinity when there are none). */
const othersFloor = (floor: Floor, senderId: string | null): number =>
  floor.lowestUserId !== null && floor.lowestUserId === senderId ? floor.next : floor.lowest;

// A page of 50 messages in a 1,000-member group would otherwise walk the members once per message:
// the floors are taken once per member list, which the per-request loader hands out as one array.
const floorsByMembers = new WeakMap<readonly MemberRecord[], Floors>();

function floorsOf(members: readonly MemberRecord[]): Floors {
  let floors = floorsByMembers.get(members);
  if (!floors) {
    floors = { read: floorOf(members, (m) => m.readSeq), delivered: floorOf(members, (m) => m.deliveredSeq) };
    floorsByMembers.set(members, floors);
  }
  return floors;
}

/** READ when every other member read the message, DELIVERED when every other member received it, else SENT. */
export function receiptStatus(message: { readonly seq: number; readonly senderId: string | null }, members: readonly MemberRecord[]): MessageStatus {
  const floors = floorsOf(members);
  const read = othersFloor(floors.read, message.senderId);
  // Nobody else in the chat: nothing to have read or received.
  if (read === Number.POSITIVE_INFINITY) return MessageStatus.SENT;
  if (read >= message.seq) return MessageStatus.READ;
  if (othersFloor(floors.delivered, message.senderId) >= message.seq) return MessageStatus.DELIVERED;
  return MessageStatus.SENT;
}
