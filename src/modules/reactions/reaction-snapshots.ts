/** One emoji's reactions to one message: how many, since when, and whose. */
export interface ReactionCount {
  emoji: string;
  count: number;
  /** The earliest of these reactions: it breaks ties between groups of equal count. */
  firstAt: Date;
  userIds: ReadonlySet<string>;
}

/**
 * A message's reactions as of a rev, shared by every viewer who renders that
 * rev. Each change reaches every online member as an event rendered once per
 * member (myReaction and reactedByMe differ): with this, the members of a
 * group read the reactions once per change, not once each.
 *
 * Keyed by `${messageId}:${rev}`: every change to a message's reactions takes
 * a new rev, so an entry is never older than the rev it is filed under (it was
 * read after that rev committed), which is all that reading the table at render
 * time gives too. Entries are few and short-lived: rendering an event takes
 * milliseconds, and nothing else needs them.
 */
export class ReactionSnapshots {
  readonly #entries = new Map<string, { at: number; counts: Promise<ReactionCount[]> }>();

  constructor(
    private readonly maxEntries = 256,
    private readonly ttlMs = 10_000,
  ) {}

  get(key: string, now = Date.now()): Promise<ReactionCount[]> | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (now - entry.at > this.ttlMs) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.counts;
  }

  /** Files a read (pending or done) under its key; one that fails is forgotten, so the next render reads again. */
  set(key: string, counts: Promise<ReactionCount[]>, now = Date.now()): void {
    this.#entries.delete(key);
    this.#entries.set(key, { at: now, counts });
    // A Map iterates in insertion order: the first key is the oldest.
    while (this.#entries.size > this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    counts.catch(() => {
      if (this.#entries.get(key)?.counts === counts) this.#entries.delete(key);
    });
  }

  get size(): number {
    return this.#entries.size;
  }
}
