import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../test/random.js';
import type { MemberRecord } from '../chats/index.js';
import { MessageStatus } from './message.types.js';
import { receiptStatus } from './receipt-floors.js';

/** The definition, one walk of the members per message: what the floors must agree with. */
function byDefinition(message: { seq: number; senderId: string | null }, members: MemberRecord[]): MessageStatus {
  const others = members.filter((m) => m.userId !== message.senderId);
  if (others.length === 0) return MessageStatus.SENT;
  if (others.every((m) => m.readSeq >= message.seq)) return MessageStatus.READ;
  if (others.every((m) => m.deliveredSeq >= message.seq)) return MessageStatus.DELIVERED;
  return MessageStatus.SENT;
}

const member = (userId: string, deliveredSeq: number, readSeq: number) => ({ userId, deliveredSeq, readSeq }) as MemberRecord;

describe('receiptStatus', () => {
  it('agrees with the definition for every sender, seq and set of receipts', () => {
    const random = mulberry32(20261201);
    const seen = new Set<MessageStatus>();
    for (let round = 0; round < 2_000; round++) {
      const size = Math.floor(random() * 6);
      // Few distinct seqs, so ties (the sender sharing the lowest seq with someone) come up often.
      const members = Array.from({ length: size }, (_, i) => {
        const read = Math.floor(random() * 4);
        return member(`u${i}`, read + Math.floor(random() * 3), read);
      });
      const senders = [null, 'stranger', ...members.map((m) => m.userId)];
      for (const senderId of senders) {
        const message = { seq: 1 + Math.floor(random() * 6), senderId };
        const status = receiptStatus(message, members);
        expect(status, JSON.stringify({ message, members })).toBe(byDefinition(message, members));
        seen.add(status);
      }
    }
    expect([...seen].sort()).toEqual([MessageStatus.DELIVERED, MessageStatus.READ, MessageStatus.SENT].sort());
  });

  it('leaves the sender out when they hold the lowest seq', () => {
    const members = [member('sender', 1, 1), member('a', 9, 9), member('b', 9, 7)];
    expect(receiptStatus({ seq: 7, senderId: 'sender' }, members)).toBe(MessageStatus.READ);
    expect(receiptStatus({ seq: 8, senderId: 'sender' }, members)).toBe(MessageStatus.DELIVERED);
    expect(receiptStatus({ seq: 8, senderId: 'a' }, members)).toBe(MessageStatus.SENT);
    expect(receiptStatus({ seq: 1, senderId: 'sender' }, [members[0]!])).toBe(MessageStatus.SENT);
  });
});
