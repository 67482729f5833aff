/** A rev taken inside an open transaction (the chat's lock is held). */
export interface Ticket {
  /** The transaction committed: publish when every earlier message of the chat is out. */
  ready(publish: () => void): void;
  /** The transaction rolled back: nothing to publish. */
  cancel(): void;
}

/** A one-statement append sent to the database; its rev is known only when it returns. */
export interface Flight {
  /** It committed with this rev. */
  land(rev: number, publish: () => void): void;
  /** It wrote nothing (refused, failed, or a retry of an earlier send). */
  cancel(): void;
}

interface Slot {
  rev: number;
  publish?: () => void;
  cancelled?: boolean;
}

interface ChatQueue {
  slots: Slot[]; // by rev
  /** Per flight in the air: the highest rev known when it left. Its own rev will be higher. */
  airborne: Set<{ above: number }>;
  /** The highest rev taken so far, as far as we know. */
  highest: number;
}

/**
 * Releases a chat's publications in rev order, although commits reach us out
 * of order (each on its own connection). Every new message and every change
 * to one takes the chat's next rev under the chat's lock (seq too, for new
 * messages), so rev order is seq order for newMessage and change order for
 * messageUpdated.
 *
 * Two kinds of writer: a transaction reserves its rev while it holds the
 * chat's lock (a {@link Ticket}); a one-statement append learns its rev only
 * after it committed (a {@link Flight}). A flight that leaves after rev N was
 * taken waits for the lock behind it, so its rev is above N. So a slot goes
 * out when every slot before it is out and no flight still in the air left
 * before its rev was taken.
 */
export class PublishQueue {
  readonly #chats = new Map<string, ChatQueue>();

  reserve(chatId: string, rev: number): Ticket {
    const queue = this.#queue(chatId);
    const slot = this.#insert(queue, { rev });
    return {
      ready: (publish) => {
        slot.publish = publish;
        this.#flush(chatId, queue);
      },
      cancel: () => {
        slot.cancelled = true;
        this.#flush(chatId, queue);
      },
    };
  }

  depart(chatId: string): Flight {
    const queue = this.#queue(chatId);
    const flight = { above: queue.highest };
    queue.airborne.add(flight);
    return {
      land: (rev, publish) => {
        queue.airborne.delete(flight);
        this.#insert(queue, { rev, publish });
        this.#flush(chatId, queue);
      },
      cancel: () => {
        queue.airborne.delete(flight);
        this.#flush(chatId, queue);
      },
    };
  }

  #queue(chatId: string): ChatQueue {
    let queue = this.#chats.get(chatId);
    if (!queue) this.#chats.set(chatId, (queue = { slots: [], airborne: new Set(), highest: 0 }));
    return queue;
  }

  #insert(queue: ChatQueue, slot: Slot): Slot {
    queue.highest = Math.max(queue.highest, slot.rev);
    // Nearly always the newest: search from the end.
    let i = queue.slots.length;
    while (i > 0 && queue.slots[i - 1]!.rev > slot.rev) i--;
    queue.slots.splice(i, 0, slot);
    return slot;
  }

  #flush(chatId: string, queue: ChatQueue): void {
    const { slots } = queue;
    while (slots.length > 0) {
      const head = slots[0]!;
      if (!head.cancelled && !(head.publish && this.#noneBelowInTheAir(queue, head.rev))) break;
      slots.shift();
      try {
        head.publish?.();
      } catch {
        // A failed publish must not hold back the chat's later messages; the
        // pub/sub reports its own failures, and clients catch up with afterSeq.
      }
    }
    if (slots.length === 0 && queue.airborne.size === 0) this.#chats.delete(chatId);
  }

  #noneBelowInTheAir(queue: ChatQueue, rev: number): boolean {
    for (const flight of queue.airborne) if (flight.above < rev) return false;
    return true;
  }
}
