import { describe, expect, it } from 'vitest';
import { PublishQueue } from './publish-queue.js';

describe('PublishQueue', () => {
  it("releases a chat's reserved seqs in seq order whatever order commits finish in, and skips rolled-back ones", () => {
    const queue = new PublishQueue();
    const published: number[] = [];
    const [t1, t2, t3, t4] = [1, 2, 3, 4].map((seq) => queue.reserve('chat', seq));
    const other = queue.reserve('other-chat', 9);
    t3!.ready(() => published.push(3));
    t2!.ready(() => published.push(2));
    other.ready(() => published.push(9)); // another chat is never held back
    expect(published).toEqual([9]);
    t1!.cancel(); // rolled back: nothing to publish, and it holds nothing up
    expect(published).toEqual([9, 2, 3]);
    t4!.ready(() => published.push(4));
    expect(published).toEqual([9, 2, 3, 4]);
  });

  it('holds a landed seq until every flight that was in the air when it landed is down, then releases by seq', () => {
    const queue = new PublishQueue();
    const published: number[] = [];
    const a = queue.depart('chat');
    const b = queue.depart('chat');
    b.land(2, () => published.push(2)); // a may hold seq 1
    expect(published).toEqual([]);
    const c = queue.depart('chat'); // left after 2 was committed: its seq is higher
    a.land(1, () => published.push(1));
    expect(published).toEqual([1, 2]);
    c.land(3, () => published.push(3));
    expect(published).toEqual([1, 2, 3]);
  });

  it('lets a later flight go out without waiting for flights that left after it landed', () => {
    const queue = new PublishQueue();
    const published: number[] = [];
    const a = queue.depart('chat');
    a.land(1, () => published.push(1));
    const b = queue.depart('chat');
    expect(published).toEqual([1]);
    const c = queue.depart('chat');
    c.land(2, () => published.push(2)); // b left before 2 landed: it may hold a lower seq
    expect(published).toEqual([1]);
    b.cancel(); // refused: it wrote nothing
    expect(published).toEqual([1, 2]);
  });

  it('orders flights and transactions of one chat together', () => {
    const queue = new PublishQueue();
    const published: number[] = [];
    const flight = queue.depart('chat'); // will get seq 5, but the transaction below reserves 6 before it returns
    const ticket = queue.reserve('chat', 6);
    ticket.ready(() => published.push(6));
    expect(published).toEqual([]); // the flight may hold a lower seq
    flight.land(5, () => published.push(5));
    expect(published).toEqual([5, 6]);

    const t7 = queue.reserve('chat', 7);
    const late = queue.depart('chat'); // left while 7's lock was held: it gets 8
    late.land(8, () => published.push(8));
    expect(published).toEqual([5, 6]); // 7 is not committed yet
    t7.ready(() => published.push(7));
    expect(published).toEqual([5, 6, 7, 8]);
  });
});
