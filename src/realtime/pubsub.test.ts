import { describe, expect, it } from 'vitest';
import { InProcessPubSub, SubscriberOverflowError } from './pubsub.js';
import { ChatTopic, type TypingPayload } from '../modules/chats/index.js';

describe('InProcessPubSub', () => {
  const typing = (typing: boolean): TypingPayload => ({ chatId: 'c', userId: 'u', typing });

  it("delivers to the user's subscribers only, and forgets a subscriber that returns", async () => {
    const pubsub = new InProcessPubSub();
    const mine = pubsub.subscribe(ChatTopic.Typing, 'me');
    const theirs = pubsub.subscribe(ChatTopic.Typing, 'them');
    pubsub.publish(ChatTopic.Typing, 'me', typing(true));
    expect((await mine.next()).value).toEqual(typing(true));
    await mine.return!();
    expect(pubsub.listenerCount(ChatTopic.Typing, 'me')).toBe(0);
    expect(pubsub.listenerCount(ChatTopic.Typing, 'them')).toBe(1);
    await theirs.return!();
  });

  it('cuts off a subscriber that falls too far behind instead of buffering without bound', async () => {
    const pubsub = new InProcessPubSub({ maxQueue: 3 });
    const slow = pubsub.subscribe(ChatTopic.Typing, 'me');
    for (let i = 0; i < 5; i++) pubsub.publish(ChatTopic.Typing, 'me', typing(i % 2 === 0));
    expect(pubsub.listenerCount(ChatTopic.Typing, 'me')).toBe(0);
    for (let i = 0; i < 3; i++) expect((await slow.next()).done).toBe(false);
    await expect(slow.next()).rejects.toBeInstanceOf(SubscriberOverflowError);
  });
});
