import type { UnreadTotals } from './unread.types.js';

/** Options for {@link CoalescedTotals}. */
export interface CoalescedTotalsOptions {
  /** Reads the subscriber's totals (one statement). */
  read(): Promise<UnreadTotals>;
  /**
   * Starts watching what may change them; calls `changed` for each such event
   * and `failed` when the transport gives up. Returns the functions that stop it.
   */
  watch(changed: () => void, failed: (error: Error) => void): (() => void)[];
  /** At most one read, and so one event, per window, in ms. */
  windowMs: number;
  /** A read that failed: logged; the next change reads again. */
  onReadError(error: unknown): void;
  /** The subscriber is gone (or it failed); called once. */
  onEnd?(): void;
}

const DONE: IteratorResult<never> = { value: undefined, done: true };
const same = (a: UnreadTotals | undefined, b: UnreadTotals) => a !== undefined && a.messages === b.messages && a.chats === b.chats && a.mentions === b.mentions;

/**
 * One subscriber's `unreadChanged`: the events that may change their totals
 * (a message, a read on another device, a setting) are coalesced here, on the
 * instance that holds the socket, and the totals are read afresh when the
 * window allows. The first change after a quiet window is read at once; the
 * changes after it, within the window, make one trailing read at its end, so
 * a busy group costs each member at most one read and one event per window,
 * whatever the message rate. An event goes out only when the totals differ
 * from the ones the subscriber last had (a message in a muted chat, a rename,
 * a receipt that moved nothing: no event). Only the latest totals wait for a
 * slow reader: there is no queue.
 */
export class CoalescedTotals implements AsyncIterableIterator<UnreadTotals> {
  /** What the subscriber was last told, or had when they subscribed. */
  #last: UnreadTotals | undefined;
  /** Read and newer than #last, not yet taken by next(). */
  #ready: UnreadTotals | undefined;
  #waiting: { resolve(result: IteratorResult<UnreadTotals>): void; reject(error: Error): void } | undefined;
  #error: Error | undefined;
  #timer: NodeJS.Timeout | undefined;
  #reading = false;
  /** A change came while reading: read again once the window allows. */
  #again = false;
  /** A change came while the first totals were read: they may or may not hold it, so the next read is told anyway. */
  #tellAnyway = false;
  #lastReadAt = Number.NEGATIVE_INFINITY;
  #done = false;
  readonly #stops: (() => void)[];

  constructor(private readonly options: CoalescedTotalsOptions) {
    this.#stops = options.watch(
      () => this.#changed(),
      (error) => this.#fail(error),
    );
  }

  /** Reads the totals the subscriber starts from; changes from now on are compared with them. */
  async start(): Promise<void> {
    this.#reading = true;
    try {
      this.#last = await this.options.read();
    } catch (error) {
      await this.return();
      throw error;
    } finally {
      this.#reading = false;
    }
    if (this.#error) throw this.#error; // the transport gave up meanwhile: nothing to subscribe to
    if (this.#again) {
      this.#again = false;
      this.#tellAnyway = true;
      this.#changed();
    }
  }

  next(): Promise<IteratorResult<UnreadTotals>> {
    if (this.#error) return Promise.reject(this.#error);
    if (this.#done) return Promise.resolve(DONE);
    const ready = this.#ready;
    if (ready) {
      this.#ready = undefined;
      return Promise.resolve({ value: ready, done: false });
    }
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject };
    });
  }

  async return(): Promise<IteratorResult<UnreadTotals>> {
    if (!this.#done) {
      this.#done = true;
      clearTimeout(this.#timer);
      for (const stop of this.#stops) stop();
      this.options.onEnd?.();
      this.#take()?.resolve(DONE);
    }
    return DONE;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #changed(): void {
    if (this.#done) return;
    if (this.#reading) {
      this.#again = true;
      return;
    }
    if (this.#timer) return; // the trailing read is already due
    const wait = this.#lastReadAt + this.options.windowMs - Date.now();
    if (wait <= 0) {
      this.#read();
    } else {
      this.#timer = setTimeout(() => this.#read(), wait);
      this.#timer.unref();
    }
  }

  #read(): void {
    this.#timer = undefined;
    if (this.#done) return;
    this.#reading = true;
    this.#lastReadAt = Date.now();
    this.options.read().then(
      (totals) => {
        this.#reading = false;
        if (this.#tellAnyway || !same(this.#last, totals)) {
          this.#tellAnyway = false;
          this.#last = totals;
          this.#tell(totals);
        }
        this.#afterRead();
      },
      (error: unknown) => {
        this.#reading = false;
        this.options.onReadError(error);
        this.#afterRead();
      },
    );
  }

  #afterRead(): void {
    if (!this.#again) return;
    this.#again = false;
    this.#changed();
  }

  #tell(totals: UnreadTotals): void {
    if (this.#done) return;
    const waiting = this.#take();
    if (waiting) waiting.resolve({ value: totals, done: false });
    else this.#ready = totals;
  }

  #fail(error: Error): void {
    if (this.#done) return;
    this.#error = error;
    const waiting = this.#take();
    void this.return();
    waiting?.reject(error);
  }

  #take() {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    return waiting;
  }
}
