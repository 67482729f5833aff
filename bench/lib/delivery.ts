/**
 * Open-loop (and closed-loop, for saturation) message delivery runs, the same
 * code for the floor and for Payamak: only the {@link Transport} differs.
 *
 * Every message carries `clientId = <run tag>.<index>.<scheduled send time>`,
 * the time on the machine-wide monotonic clock at which the schedule said to
 * send it. Latencies are measured from that scheduled time, not from when the
 * request actually left, so a load generator that falls behind does not hide
 * the wait (no coordinated omission).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { cpuTimeMs, machineCpuMs } from './proc.js';
import { Samples, nowMs, sleep, type Summary } from './stats.js';

/** A user of the benchmark: an id, and for Payamak a real access token. */
export interface Member {
  userId: string;
  token?: string;
}

export interface Group {
  chatId: string;
  /** Who sends, in turn: one fixed sender, or every member with their own token (as real groups talk). */
  senders: Member[];
  /** Indices into the shape's receivers. */
  receivers: number[];
}

/** The sender of a group's `turn`-th message. */
export const senderOf = (group: Group, turn: number): Member => group.senders[turn % group.senders.length]!;

export interface Shape {
  name: string;
  groups: Group[];
  /**
   * Receivers subscribe with `newMessage(chatId:)`, as a client with one chat
   * open does, instead of to all their chats; each receiver is then in one group.
   */
  filtered: boolean;
  /**
   * What the subscription selects: `scalars`, the plain fields every viewer
   * shares (rendered once per event); `app`, what an app's open chat shows
   * (status, sender, reactions: rendered per viewer). The floor sends the same frame either way.
   */
  selection: Selection;
  /** Every receiving member of the shape; each holds one WebSocket. */
  receivers: Member[];
}

/** A receiving socket; `onEnd` is called once if the server ends it. */
export interface ReceiverHandle {
  close(): void;
}

export type Selection = 'scalars' | 'app';

/** What a receiver subscribes to: one chat (`newMessage(chatId:)`) or all its chats, and which fields. */
export interface Following {
  chatId?: string;
  selection: Selection;
}

export type OnFrame = (clientId: string, chatId: string, seq: number) => void;

export interface Transport {
  readonly name: string;
  /** The server process, for its CPU time per message. */
  readonly pid?: number;
  /** Opens a member's socket and its subscription; resolves once connected. */
  openReceiver(member: Member, onFrame: OnFrame, onEnd: (reason: string) => void, following: Following): Promise<ReceiverHandle>;
  /** Sends one message as `sender`; resolves when the server answered it, rejects on any error. */
  send(group: Group, sender: Member, text: string, clientId: string): Promise<void>;
}

export const MESSAGE_TEXT = 'Benchmark message: the quick brown fox jumps over the lazy dog.';

export interface RunResult {
  shape: string;
  transport: string;
  /** Target rate in msg/s, or 'saturation' for the closed loop. */
  rate: number | 'saturation';
  durationMs: number;
  sent: number;
  sendErrors: number;
  firstSendError?: string;
  /** Messages answered per second of the run. */
  achievedRate: number;
  mutation: Summary;
  e2e: Summary;
  expected: number;
  delivered: number;
  duplicates: number;
  misdelivered: number;
  outOfOrder: number;
  /** Receivers whose subscription the server ended during the run. */
  cutOff: number;
  /** The run was stopped early: too many requests in flight. */
  overloaded: boolean;
  /** The load generator's own event-loop delay p99, ms: when high, the generator was a bottleneck too. */
  generatorLagP99: number;
  /** CPU time of the server process per message answered, ms (user + system). */
  serverCpuPerMessage: number | null;
  /** CPU time of the whole machine per message answered (server, PostgreSQL, load generator), ms. */
  machineCpuPerMessage: number;
}

interface Slot {
  member: Member;
  handle: ReceiverHandle | undefined;
  alive: boolean;
}

/** One run's bookkeeping of what arrived where. */
export class Tally {
  readonly received: Uint8Array;
  readonly e2e = new Samples();
  duplicates = 0;
  misdelivered = 0;
  outOfOrder = 0;
  delivered = 0;
  readonly #lastSeq = new Map<string, number>();

  constructor(
    readonly tag: string,
    readonly capacity: number,
    readonly receiverCount: number,
    readonly isMember: (receiver: number, index: number) => boolean,
  ) {
    this.received = new Uint8Array(capacity * receiverCount);
  }

  record(receiver: number, index: number, scheduled: number, chatId: string, seq: number, at: number): void {
    if (index >= this.capacity) return;
    if (!this.isMember(receiver, index)) {
      this.misdelivered++;
      return;
    }
    const slot = index * this.receiverCount + receiver;
    if (this.received[slot]! > 0) {
      this.duplicates++;
      return;
    }
    this.received[slot] = 1;
    this.delivered++;
    this.e2e.push(at - scheduled);
    const key = `${receiver}:${chatId}`;
    const last = this.#lastSeq.get(key);
    if (last !== undefined && seq <= last) this.outOfOrder++;
    this.#lastSeq.set(key, seq);
  }
}

/** `<tag>.<index>.<scheduled ms>` → its parts (the tag has no dot; the time has one). */
export function parseClientId(clientId: string): { tag: string; index: number; scheduled: number } {
  const first = clientId.indexOf('.');
  const second = clientId.indexOf('.', first + 1);
  return { tag: clientId.slice(0, first), index: Number(clientId.slice(first + 1, second)), scheduled: Number(clientId.slice(second + 1)) };
}

let runCounter = 0;

/** A shape's receivers connected through one transport; runs go through it. */
export class DeliveryBench {
  readonly #slots: Slot[];
  readonly #groupOfReceiver: Set<number>[];
  #tally: Tally | undefined;
  #probe: { tag: string; seen: Set<number> } | undefined;
  #cutOff = 0;

  constructor(
    readonly transport: Transport,
    readonly shape: Shape,
  ) {
    this.#slots = shape.receivers.map((member) => ({ member, handle: undefined, alive: false }));
    this.#groupOfReceiver = shape.receivers.map(() => new Set<number>());
    shape.groups.forEach((group, g) => {
      for (const r of group.receivers) this.#groupOfReceiver[r]!.add(g);
    });
    if (shape.filtered && this.#groupOfReceiver.some((groups) => groups.size !== 1))
      throw new Error(`${shape.name}: a filtered subscription follows one chat, so each receiver must be in exactly one group`);
  }

  /** Connects every receiver that is not connected (again, after a cut-off), then proves the subscriptions live. */
  async connect(concurrency = 50): Promise<void> {
    const pending = this.#slots.map((slot, r) => ({ slot, r })).filter(({ slot }) => !slot.alive);
    for (let i = 0; i < pending.length; i += concurrency) {
      await Promise.all(
        pending.slice(i, i + concurrency).map(async ({ slot, r }) => {
          slot.handle?.close();
          slot.handle = await this.transport.openReceiver(
            slot.member,
            (clientId, chatId, seq) => this.#onFrame(r, clientId, chatId, seq),
            () => {
              if (slot.alive) this.#cutOff++;
              slot.alive = false;
            },
            {
              ...(this.shape.filtered ? { chatId: this.shape.groups[[...this.#groupOfReceiver[r]!][0]!]!.chatId } : {}),
              selection: this.shape.selection,
            },
          );
          slot.alive = true;
        }),
      );
    }
    await this.#probeAll();
  }

  close(): void {
    for (const slot of this.#slots) {
      slot.alive = false;
      slot.handle?.close();
    }
  }

  /**
   * graphql-ws does not acknowledge a subscription: send one message per group
   * until every receiver of the shape has seen one of this probe's (≤ 15 s).
   */
  async #probeAll(): Promise<void> {
    const probe = { tag: `p${++runCounter}`, seen: new Set<number>() };
    this.#probe = probe;
    const deadline = nowMs() + 15_000;
    let round = 0;
    try {
      while (probe.seen.size < this.#slots.length) {
        if (nowMs() > deadline)
          throw new Error(`${this.transport.name} ${this.shape.name}: only ${probe.seen.size} of ${this.#slots.length} subscriptions answered the probe`);
        await Promise.all(this.shape.groups.map((group, g) => this.transport.send(group, senderOf(group, round), MESSAGE_TEXT, `${probe.tag}.${round}.${g}`)));
        round++;
        const waitUntil = nowMs() + 1000;
        while (probe.seen.size < this.#slots.length && nowMs() < waitUntil) await sleep(10);
      }
    } finally {
      this.#probe = undefined;
    }
  }

  #onFrame(receiver: number, clientId: string, chatId: string, seq: number): void {
    const at = nowMs();
    const { tag, index, scheduled } = parseClientId(clientId);
    if (this.#probe && tag === this.#probe.tag) {
      this.#probe.seen.add(receiver);
      return;
    }
    const tally = this.#tally;
    if (!tally || tag !== tally.tag) return; // a probe or warm-up message arriving late
    tally.record(receiver, index, scheduled, chatId, seq, at);
  }

  /**
   * Sends at `rate` msg/s for `durationMs`, round-robin over the shape's
   * groups, on a clock schedule; with `rate: 'saturation'`, `concurrency`
   * senders each send their next message as soon as the last is answered.
   */
  async run(options: { rate: number | 'saturation'; durationMs: number; concurrency?: number; maxInFlight?: number }): Promise<RunResult> {
    const { rate, durationMs } = options;
    const { groups } = this.shape;
    // More than a quarter second of sends unanswered (at least 50): the server is not keeping up (that rate
    // cannot meet p99 < 100 ms); stop adding to its queue.
    const maxInFlight = options.maxInFlight ?? (rate === 'saturation' ? Infinity : Math.max(50, rate / 4));
    const capacity = rate === 'saturation' ? Math.ceil((durationMs / 1000) * 20_000) : Math.round((rate * durationMs) / 1000);
    const tag = `r${++runCounter}`;
    const tally = new Tally(tag, capacity, this.#slots.length, (r, i) => this.#groupOfReceiver[r]!.has(i % groups.length));
    this.#tally = tally;
    const cutOffBefore = this.#cutOff;
    const lag = monitorEventLoopDelay({ resolution: 1 });
    lag.enable();
    const pid = this.transport.pid;
    const serverCpuBefore = pid === undefined ? 0 : await cpuTimeMs(pid);
    const machineBefore = await machineCpuMs();

    const mutation = new Samples();
    let sent = 0;
    let answered = 0;
    let sendErrors = 0;
    let firstSendError: string | undefined;
    let inFlight = 0;
    let overloaded = false;
    let expected = 0;
    const sendOne = (index: number, scheduled: number): Promise<void> => {
      const group = groups[index % groups.length]!;
      sent++;
      inFlight++;
      return this.transport.send(group, senderOf(group, Math.floor(index / groups.length)), MESSAGE_TEXT, `${tag}.${index}.${scheduled.toFixed(3)}`).then(
        () => {
          inFlight--;
          answered++;
          expected += group.receivers.length;
          mutation.push(nowMs() - scheduled);
        },
        (error: unknown) => {
          inFlight--;
          sendErrors++;
          firstSendError ??= error instanceof Error ? error.message : String(error);
        },
      );
    };

    const start = nowMs();
    let end: number;
    if (rate === 'saturation') {
      const concurrency = options.concurrency ?? 32;
      let next = 0;
      const worker = async () => {
        while (nowMs() - start < durationMs && next < capacity) {
          const index = next++;
          await sendOne(index, nowMs());
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      end = nowMs();
    } else {
      const total = capacity;
      let index = 0;
      // Sends whatever the clock says is due, then yields for ~1 ms; bounded in count and in time.
      while (index < total) {
        const now = nowMs();
        if (now - start > durationMs + 10_000) break;
        while (index < total && start + (index * 1000) / rate <= now) {
          void sendOne(index, start + (index * 1000) / rate);
          index++;
        }
        if (inFlight > maxInFlight) {
          overloaded = true;
          break;
        }
        await sleep(1);
      }
      end = nowMs();
      // Requests still in flight: wait for them (bounded).
      const deadline = nowMs() + 15_000;
      while (inFlight > 0 && nowMs() < deadline) await sleep(5);
    }

    // Deliveries still on their way: wait until all arrived, or nothing arrived for 1.5 s (≤ 10 s).
    const drainDeadline = nowMs() + 10_000;
    let lastCount = -1;
    let lastProgress = nowMs();
    while (tally.delivered < expected && nowMs() < drainDeadline && nowMs() - lastProgress < 1500) {
      if (tally.delivered !== lastCount) {
        lastCount = tally.delivered;
        lastProgress = nowMs();
      }
      await sleep(5);
    }
    this.#tally = undefined;
    lag.disable();
    const serverCpu = pid === undefined ? null : (await cpuTimeMs(pid)) - serverCpuBefore;
    const machineCpu = (await machineCpuMs()).busy - machineBefore.busy;

    const elapsed = end - start;
    return {
      shape: this.shape.name,
      transport: this.transport.name,
      rate,
      durationMs: Math.round(elapsed),
      sent,
      sendErrors,
      ...(firstSendError ? { firstSendError } : {}),
      achievedRate: (answered * 1000) / elapsed,
      mutation: mutation.summary(),
      e2e: tally.e2e.summary(),
      expected,
      delivered: tally.delivered,
      duplicates: tally.duplicates,
      misdelivered: tally.misdelivered,
      outOfOrder: tally.outOfOrder,
      cutOff: this.#cutOff - cutOffBefore,
      overloaded,
      generatorLagP99: lag.percentile(99) / 1e6,
      serverCpuPerMessage: serverCpu === null || answered === 0 ? null : serverCpu / answered,
      machineCpuPerMessage: answered === 0 ? NaN : machineCpu / answered,
    };
  }
}

/**
 * Exactly once: every expected delivery arrived, none twice, none to a
 * non-member. Payamak also promises seq order per chat; the floor does not
 * (its commits are acknowledged on several connections, in any order).
 */
export function deliveredExactlyOnce(result: RunResult): boolean {
  return (
    result.sendErrors === 0 &&
    result.delivered === result.expected &&
    result.duplicates === 0 &&
    result.misdelivered === 0 &&
    (result.transport === 'floor' || result.outOfOrder === 0) &&
    result.cutOff === 0
  );
}

/** Sustained: delivered exactly once, all sent, and e2e p99 under `p99Ms`. */
export function sustained(result: RunResult, p99Ms = 100): boolean {
  return deliveredExactlyOnce(result) && !result.overloaded && result.e2e.p99 < p99Ms;
}
