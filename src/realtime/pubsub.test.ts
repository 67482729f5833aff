import { describe, expect, it } from 'vitest';
import { InProcessPubSub, SubscriberOverflowError } from './pubsub.js';
import { ChatTopic, guardByMembership, type TypingPayload } from '../modules/chats/index.js';

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

  it("asks a subscription's filter as an event arrives and again as it is handed over, and tells it once when it ends", async () => {
    const pubsub = new InProcessPubSub({ maxQueue: 2 });
    const wanted = new Set(['a', 'b']);
    let ended = 0;
    const events = pubsub.subscribe(ChatTopic.Typing, 'me', { accepts: (event) => wanted.has(event.chatId), ended: () => (ended += 1) });
    // Refused on arrival: neither queued nor counted toward the cut-off.
    for (let i = 0; i < 5; i++) pubsub.publish(ChatTopic.Typing, 'me', { ...typing(true), chatId: 'x' });
    pubsub.publish(ChatTopic.Typing, 'me', { ...typing(true), chatId: 'a' });
    pubsub.publish(ChatTopic.Typing, 'me', { ...typing(false), chatId: 'b' });
    // Refused on hand-over: "a" was queued while wanted.
    wanted.delete('a');
    expect((await events.next()).value).toEqual({ ...typing(false), chatId: 'b' });
    await events.return!();
    await events.return!();
    expect(ended).toBe(1);
    expect(pubsub.listenerCount(ChatTopic.Typing, 'me')).toBe(0);
  });

  it('guardByMembership: a chat left drops its queued events, ends a subscription to that chat, and stops watching', async () => {
    const pubsub = new InProcessPubSub();
    const all = guardByMembership(pubsub, 'me', ChatTopic.Typing);
    const one = guardByMembership(pubsub, 'me', ChatTopic.Typing, 'a');
    expect(pubsub.listenerCount(ChatTopic.Membership, 'me')).toBe(2);
    pubsub.publish(ChatTopic.Typing, 'me', { ...typing(true), chatId: 'a' });
    pubsub.publish(ChatTopic.Typing, 'me', { ...typing(true), chatId: 'b' });
    pubsub.publish(ChatTopic.Membership, 'me', { chatId: 'a', change: 'LEFT' });
    expect((await all.next()).value).toEqual({ ...typing(true), chatId: 'b' });
    expect((await one.next()).done).toBe(true);
    expect(pubsub.listenerCount(ChatTopic.Membership, 'me')).toBe(1);
    await all.return!();
    expect(pubsub.listenerCount(ChatTopic.Membership, 'me')).toBe(0);
    expect(pubsub.subscriptionCount).toBe(0);
  });
});
