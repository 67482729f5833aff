/** A seq taken inside an open transaction (the chat's lock is held). */
export interface Ticket {
  /** The transaction committed: publish when every earlier message of the chat is out. */
  ready(publish: () => void): void;
  /** The transaction rolled back: nothing to publish. */
  cancel(): void;
}

/** A one-statement append sent to the database; its seq is known only when it returns. */
export interface Flight {
  /** It committed with this seq. */
  land(seq: number, publish: () => void): void;
  /** It wrote nothing (refused, failed, or a retry of an earlier send). */
  cancel(): void;
}

interface Slot {
  seq: number;
  publish?: () => void;
  cancelled?: boolean;
}

interface ChatQueue {
  slots: Slot[]; // by seq
  /** Per flight in the air: the highest seq known when it left. Its own seq will be higher. */
  airborne: Set<{ above: number }>;
  /** The highest seq taken so far, as far as we know. */
  highest: number;
}

/**
 * Releases a chat's publications in seq order, although commits reach us out
 * of order (each on its own connection).
 *
 * Two kinds of writer: a transaction reserves its seq while it holds the
 * chat's lock (a {@link Ticket}); a one-statement append learns its seq only
 * after it committed (a {@link Flight}). A flight that leaves after seq N was
 * taken waits for the lock behind it, so its seq is above N. So a slot goes
 * out when every slot before it is out and no flight still in the air left
 * before its seq was taken.
 */
export class PublishQueue {
  readonly #chats = new Map<string, ChatQueue>();

  reserve(chatId: string, seq: number): Ticket {
    const queue = this.#queue(chatId);
    const slot = this.#insert(queue, { seq });
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
      land: (seq, publish) => {
        queue.airborne.delete(flight);
        this.#insert(queue, { seq, publish });
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
    queue.highest = Math.max(queue.highest, slot.seq);
    // Nearly always the newest: search from the end.
    let i = queue.slots.length;
    while (i > 0 && queue.slots[i - 1]!.seq > slot.seq) i--;
    queue.slots.splice(i, 0, slot);
    return slot;
  }

  #flush(chatId: string, queue: ChatQueue): void {
    const { slots } = queue;
    while (slots.length > 0) {
      const head = slots[0]!;
      if (!head.cancelled && !(head.publish && this.#noneBelowInTheAir(queue, head.seq))) break;
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

  #noneBelowInTheAir(queue: ChatQueue, seq: number): boolean {
    for (const flight of queue.airborne) if (flight.above < seq) return false;
    return true;
  }
}
