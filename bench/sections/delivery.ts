/**
 * Sections 1c and 2: messages from an HTTP POST to every member's WebSocket,
 * through the floor and through Payamak, at the same open-loop rates and in
 * the same shapes. Shapes run floor first, then ours, one after the other.
 */
import type { BenchContext } from '../lib/context.js';
import { DeliveryBench, deliveredExactlyOnce, sustained, type Group, type Member, type RunResult, type Shape, type Transport } from '../lib/delivery.js';
import { postJson } from '../lib/http.js';
import { progress } from '../lib/report.js';
import { createGroup, insertChats, insertUsers, registerUsers, sessionsFor } from '../lib/seed.js';
import { fmt } from '../lib/stats.js';
import { floorTransport, payamakTransport } from '../lib/transports.js';
import { FANOUTS, RATES } from './floor.js';

export const GRID = { groups: 20, members: 10 } as const;
export const GRID_RATES = [500, 1000, 1500] as const;
/** Issue 20's big group: 1,000 members, each with a socket; at `target` (20 msg/s) 20,000 deliveries a second. */
export const BIG_GROUP = { members: 1000, rates: [5, 10, 20, 50], target: 20 } as const;
export const BIG_GROUP_SHAPE = `1 group, ${BIG_GROUP.members.toLocaleString('en')} members`;

interface ShapePlan {
  name: string;
  /** Members of each group by user index; the first one sends. */
  groups: number[][];
  /** Whether the sender also holds a socket (grid: every member does; single groups: N receivers besides the sender). */
  senderReceives: boolean;
  rates: readonly number[];
  saturation: boolean;
  /** Narrow the sustained rate down between the fixed rates (the shapes the targets are about). */
  search: boolean;
  /** Every member sends in turn, with their own token, instead of the first member alone. */
  rotating: boolean;
  /** Receivers subscribe to their one chat (`newMessage(chatId:)`), not to all their chats. */
  filtered: boolean;
  /** With `filtered`: subscribe with what an app's open chat shows (per-viewer fields), not plain fields. */
  asShown?: boolean;
}

function plans(): ShapePlan[] {
  const singles = FANOUTS.map<ShapePlan>((n) => ({
    name: `1 group, ${n} subscriber${n === 1 ? '' : 's'}`,
    groups: [[0, ...Array.from({ length: n }, (_, k) => 1 + k)]],
    senderReceives: false,
    rates: RATES,
    saturation: false,
    search: n === 10,
    rotating: false,
    filtered: false,
  }));
  const gridGroups = Array.from({ length: GRID.groups }, (_, g) => Array.from({ length: GRID.members }, (_, k) => 1 + g * GRID.members + k));
  const grid: ShapePlan = {
    name: `${GRID.groups} groups × ${GRID.members} members`,
    groups: gridGroups,
    senderReceives: true,
    rates: GRID_RATES,
    saturation: true,
    search: true,
    rotating: false,
    filtered: false,
  };
  // The shapes users make: everyone in a group talks, and an app with a chat open subscribes to that chat.
  const talking: ShapePlan = { ...grid, name: `${grid.name}, every member sends`, rates: [GRID_RATES[0]], search: false, rotating: true };
  const chatOpen: ShapePlan = { ...talking, name: `${grid.name}, every member sends, subscribed by chatId`, filtered: true };
  const chatShown: ShapePlan = { ...chatOpen, name: `${grid.name}, every member sends, by chatId as an app shows it`, asShown: true };
  // Its members come after the grid's (SQL rows with sessions, not registrations: argon2 for 1,000 would dominate).
  const big: ShapePlan = {
    name: BIG_GROUP_SHAPE,
    groups: [Array.from({ length: BIG_GROUP.members }, (_, k) => REGISTERED + k)],
    senderReceives: true,
    rates: BIG_GROUP.rates,
    saturation: false,
    search: true,
    rotating: false,
    filtered: false,
  };
  return [...singles, grid, talking, chatOpen, chatShown, big];
}

/** Registered through the API: index 0 sends to the single groups; 1…200 are the grid's members and the single groups' subscribers. */
const REGISTERED = 1 + GRID.groups * GRID.members;

function shapeFor(plan: ShapePlan, users: Member[], chatIds: string[]): Shape {
  const receivers: Member[] = [];
  const groups: Group[] = plan.groups.map((memberIdx, g) => {
    const receiving = plan.senderReceives ? memberIdx : memberIdx.slice(1);
    const indices = receiving.map((u) => receivers.push(users[u]!) - 1);
    const senders = (plan.rotating ? memberIdx : memberIdx.slice(0, 1)).map((u) => users[u]!);
    return { chatId: chatIds[g]!, senders, receivers: indices };
  });
  return { name: plan.name, groups, receivers, filtered: plan.filtered, selection: plan.asShown ? 'app' : 'scalars' };
}

export interface Sustained {
  shape: string;
  /** Highest rate tried that was delivered exactly once with e2e p99 < 100 ms; null when none was. */
  floor: number | null;
  ours: number | null;
  /** False when even the highest rate tried was sustained (the true figure is higher). */
  floorBounded: boolean;
  oursBounded: boolean;
  /** The rates tried between the fixed ones, with ✓ or ✗. */
  probes: { floor: string; ours: string };
}

export interface DeliveryResults {
  runs: RunResult[];
  /** Runs of the sustained-rate search (between the fixed rates). */
  searchRuns: RunResult[];
  sustained: Sustained[];
}

/** The highest sustained rate of some runs, and the lowest rate above it that was not. */
function bracket(list: RunResult[]): { best: number | null; failing: number | null } {
  const rated = list.filter((r) => r.rate !== 'saturation');
  const ok = rated.filter((r) => sustained(r)).map((r) => r.rate as number);
  const best = ok.length ? Math.max(...ok) : null;
  const above = rated.filter((r) => !sustained(r) && (r.rate as number) > (best ?? 0)).map((r) => r.rate as number);
  return { best, failing: above.length ? Math.min(...above) : null };
}

export async function deliverySection(ctx: BenchContext): Promise<DeliveryResults> {
  const all = plans()
    .filter((plan) => ctx.options.shape === undefined || matchesShape(plan.name, ctx.options.shape))
    .map((plan) => (ctx.options.rates ? { ...plan, rates: ctx.options.rates, saturation: plan.saturation && ctx.options.saturation } : plan));
  const userCount = Math.max(REGISTERED, ...all.flatMap((plan) => plan.groups.flat().map((u) => u + 1)));
  progress(`delivery: registering ${REGISTERED} users through the API (argon2), seeding ${userCount - REGISTERED} more, creating groups`);
  const users = await registerUsers(ctx.ours.url, REGISTERED, `b${Date.now().toString(36)}_`);
  if (userCount > REGISTERED) {
    users.push(...(await sessionsFor(ctx.pool, await insertUsers(ctx.pool, userCount - REGISTERED, `bb${Date.now().toString(36)}_`), ctx.jwtSecret)));
  }
  const oursChats = new Map<ShapePlan, string[]>();
  for (const plan of all) {
    const ids: string[] = [];
    for (const [g, memberIdx] of plan.groups.entries()) {
      ids.push(
        await createGroup(
          ctx.ours.url,
          users[memberIdx[0]!]!,
          memberIdx.slice(1).map((u) => users[u]!),
          `${plan.name} #${g}`,
        ),
      );
    }
    oursChats.set(plan, ids);
  }

  // The floor's own users and chats, in the same tables; membership lives in its memory.
  const floorUsers = (await insertUsers(ctx.pool, userCount, `floor${Date.now().toString(36)}_`)).map((userId) => ({ userId }));
  const floorChats = new Map<ShapePlan, string[]>();
  const membership: Record<string, string[]> = {};
  for (const plan of all) {
    const ids = await insertChats(ctx.pool, plan.groups.length, `floor ${plan.name} #`);
    plan.groups.forEach((memberIdx, g) => {
      membership[ids[g]!] = memberIdx.map((u) => floorUsers[u]!.userId);
    });
    floorChats.set(plan, ids);
  }
  await postJson(`${ctx.floor.url}/setup`, { chats: membership });

  const table = ctx.report.table("1c/2. Delivery: HTTP POST → transaction → every member's WebSocket (open loop; saturation: closed loop, 32 in flight)", [
    'shape',
    'rate msg/s',
    'who',
    'achieved msg/s',
    'mutation p50 ms',
    'mutation p99 ms',
    'e2e p50 ms',
    'e2e p99 ms',
    'e2e max ms',
    'delivered/expected',
    'server CPU ms/msg',
    'p99 ours/floor',
  ]);
  const runs: RunResult[] = [];
  const sustainedRates: DeliveryResults['sustained'] = [];
  const transports: [Transport, Member[], Map<ShapePlan, string[]>][] = [
    [floorTransport(ctx.floor.url, ctx.floor.pid), floorUsers, floorChats],
    [payamakTransport(ctx.ours.url, ctx.ours.pid), users, oursChats],
  ];

  const searchRuns: RunResult[] = [];
  for (const plan of all) {
    const byTransport = new Map<string, RunResult[]>();
    const searched = new Map<string, RunResult[]>();
    for (const [transport, members, chats] of transports) {
      if (ctx.options.who && transport.name !== ctx.options.who) continue;
      progress(`delivery: ${plan.name}, ${transport.name}`);
      const bench = new DeliveryBench(transport, shapeFor(plan, members, chats.get(plan)!));
      const own: RunResult[] = [];
      try {
        await bench.connect();
        await bench.run({ rate: 200, durationMs: ctx.options.quick ? 300 : 1000 }); // warm-up, not reported
        for (const rate of plan.rates) {
          await bench.connect(); // reconnects any subscription the server cut off
          own.push(await bench.run({ rate, durationMs: ctx.options.runMs ?? ctx.runMs }));
        }
        if (plan.saturation) {
          await bench.connect();
          own.push(await bench.run({ rate: 'saturation', durationMs: Math.round(ctx.runMs * 1.5), concurrency: 32 }));
        }
        if (plan.search && !ctx.options.rates) {
          // Bisect between the best sustained rate and the next one that was not, to 50 msg/s (≤ 3 probes).
          const probes: RunResult[] = [];
          for (let i = 0; i < 3; i++) {
            const { best, failing } = bracket([...own, ...probes]);
            if (failing === null || failing - (best ?? 0) <= 50) break;
            const rate = Math.round(((best ?? 0) + failing) / 2 / 50) * 50;
            await bench.connect();
            probes.push(await bench.run({ rate, durationMs: Math.round(ctx.runMs * 0.75) }));
          }
          searched.set(transport.name, probes);
          searchRuns.push(...probes);
        }
      } finally {
        bench.close();
      }
      byTransport.set(transport.name, own);
      runs.push(...own);
    }
    const floorRuns = byTransport.get('floor') ?? [];
    const oursRuns = byTransport.get('ours') ?? [];
    for (const [i, ours] of oursRuns.entries()) {
      const floor = floorRuns[i];
      for (const run of floor ? [floor, ours] : [ours]) {
        table.add(
          plan.name,
          run.rate === 'saturation' ? 'saturation' : run.rate,
          run.transport,
          fmt(run.achievedRate),
          fmt(run.mutation.p50),
          fmt(run.mutation.p99),
          fmt(run.e2e.p50),
          fmt(run.e2e.p99),
          fmt(run.e2e.max),
          describeDelivery(run),
          fmt(run.serverCpuPerMessage),
          run === ours && floor ? `${fmt(ours.e2e.p99 / floor.e2e.p99)}×` : '',
        );
      }
    }
    const floorAll = [...floorRuns, ...(searched.get('floor') ?? [])];
    const oursAll = [...oursRuns, ...(searched.get('ours') ?? [])];
    const probes = (list: RunResult[]) => list.map((r) => `${r.rate} ${sustained(r) ? '✓' : '✗'}`).join(', ');
    sustainedRates.push({
      shape: plan.name,
      floor: bracket(floorAll).best,
      ours: bracket(oursAll).best,
      floorBounded: bracket(floorAll).failing !== null,
      oursBounded: bracket(oursAll).failing !== null,
      probes: { floor: probes(searched.get('floor') ?? []), ours: probes(searched.get('ours') ?? []) },
    });
  }
  ctx.report.print(table);

  const summary = ctx.report.table('2. Highest rate sustained: exactly once, e2e p99 < 100 ms (fixed rates, then bisection probes of 1.5 s)', [
    'shape',
    'floor msg/s',
    'ours msg/s',
    'ours/floor',
    'floor probes',
    'ours probes',
  ]);
  const shown = (rate: number | null, bounded: boolean) => (rate === null ? 'none' : bounded ? String(rate) : `≥ ${rate}`);
  for (const s of sustainedRates) {
    summary.add(
      s.shape,
      shown(s.floor, s.floorBounded),
      shown(s.ours, s.oursBounded),
      s.floor && s.ours !== null ? `${s.floorBounded ? '' : '≤ '}${fmt((100 * s.ours) / s.floor)}%` : '–',
      s.probes.floor || '–',
      s.probes.ours || '–',
    );
  }
  ctx.report.print(summary);
  return { runs, searchRuns, sustained: sustainedRates };
}

function describeDelivery(run: RunResult): string {
  const ratio = run.expected === 0 ? '–' : (run.delivered / run.expected).toFixed(run.delivered === run.expected ? 1 : 4);
  const problems: string[] = [];
  if (run.duplicates) problems.push(`${run.duplicates} dup`);
  if (run.misdelivered) problems.push(`${run.misdelivered} misdelivered`);
  if (run.outOfOrder) problems.push(`${run.outOfOrder} out of seq order${run.transport === 'floor' ? ' (the floor does not order)' : ''}`);
  if (run.cutOff) problems.push(`${run.cutOff} subs cut off`);
  if (run.sendErrors) problems.push(`${run.sendErrors} send errors`);
  if (run.overloaded) problems.push('stopped: overloaded');
  return `${ratio} (${run.delivered}/${run.expected})${problems.length ? ` ${problems.join(', ')}` : ''}`;
}

/**
 * A delivery failure no overload explains: a duplicate, a message to a
 * non-member, one out of seq order, or one missing while every subscription
 * stayed up. (A subscription the server cuts off as too slow loses what was
 * queued for it, by design: the client catches up with messages(afterSeq:).)
 */
export function hardViolation(run: RunResult): boolean {
  return run.duplicates > 0 || run.misdelivered > 0 || (run.transport !== 'floor' && run.outOfOrder > 0) || (run.delivered < run.expected && run.cutOff === 0);
}

/** The exactly-once violations of a set of runs, as sentences; empty when there are none. */
export function deliveryViolations(runs: RunResult[]): string[] {
  return runs
    .filter((run) => !deliveredExactlyOnce(run))
    .map(
      (run) =>
        `${run.transport} ${run.shape} at ${run.rate}: delivered ${run.delivered}/${run.expected}, ${run.duplicates} duplicates, ` +
        `${run.misdelivered} misdelivered, ${run.outOfOrder} out of order, ${run.cutOff} subscriptions cut off, ${run.sendErrors} send errors` +
        (run.firstSendError ? ` (first: ${run.firstSendError})` : ''),
    );
}

/** `--shape`: part of a shape's name; ending in `$`, the end of it ("every member sends$" is that shape alone). */
function matchesShape(name: string, wanted: string): boolean {
  return wanted.endsWith('$') ? name.endsWith(wanted.slice(0, -1)) : name.includes(wanted);
}
