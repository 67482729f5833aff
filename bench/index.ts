/**
 * `npm run bench`: Payamak against the floor of docs/design.md, on loopback only.
 *
 * Starts embedded PostgreSQL (durable defaults: fsync and synchronous commit
 * on) in a temporary folder, Payamak as a child process exactly as deployed
 * (built as `npm start` builds it, then `node dist/index.js`, NODE_ENV=production,
 * rate limits off) and
 * the floor server as another, then runs the sections, prints Markdown tables
 * and writes bench/results.json.
 *
 *   npm run bench                          everything (~7 minutes; search seeds a million messages)
 *   npm run bench -- --only=delivery,chats  some sections: floor, delivery, connections, chats, media, lifecycle, reactions, scheduled, search
 *   npm run bench -- --quick               shorter runs, to try it out
 *   npm run bench -- --profile             Payamak under --cpu-prof; prints its hottest functions
 *   npm run bench -- --only=connections --heap-snapshot --connections=2000
 *                                          heap snapshots before and with the idle connections; prints what they hold
 *
 * For diagnosis (numbers not comparable with a full run): --shape=<part of a
 * delivery shape's name, or its end with a trailing $>, --rates=300,600, --saturation, --who=ours|floor,
 * --run-ms=10000, --server-node-args=--perf-basic-prof (comma-separated),
 * --connections=2000, --log-level=info (Payamak's LOG_LEVEL; default warn),
 * --search-messages=300000 (the search section's database; default 1,000,000).
 * TRACE_SQL=1 in the environment prints every statement the in-process
 * servers count (chat list, reactions, search statement columns).
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.js';
import { findRepoRoot } from '../src/db/migration-files.js';
import { ABUSE_LIMITS_OFF, buildPayamak, startFloorChild, startPayamakChild, type BenchContext, type BenchOptions } from './lib/context.js';
import { agent } from './lib/http.js';
import { Report, progress } from './lib/report.js';
import { fmt, nowMs } from './lib/stats.js';
import { printTopFunctions } from './profile-top.js';
import { chatListSection } from './sections/chat-list.js';
import { connectionsSection } from './sections/connections.js';
import { BIG_GROUP, BIG_GROUP_SHAPE, deliverySection, deliveryViolations, GRID, hardViolation } from './sections/delivery.js';
import { deliveredExactlyOnce } from './lib/delivery.js';
import { rawPgFloor, rawWebSocketFloor } from './sections/floor.js';
import { lifecycleSection } from './sections/lifecycle.js';
import { mediaSection } from './sections/media.js';
import { reactionsSection } from './sections/reactions.js';
import { searchSection } from './sections/search.js';
import { scheduledSection } from './sections/scheduled.js';

const SECTIONS = ['floor', 'delivery', 'connections', 'chats', 'media', 'lifecycle', 'reactions', 'scheduled', 'search'] as const;

function parseOptions(argv: string[]): BenchOptions {
  const only = new Set<string>();
  for (const arg of argv) {
    if (arg.startsWith('--only=')) for (const name of arg.slice(7).split(',')) if (name) only.add(name);
  }
  for (const name of only) if (!(SECTIONS as readonly string[]).includes(name)) throw new Error(`unknown section "${name}"; sections: ${SECTIONS.join(', ')}`);
  const value = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const rates = value('rates');
  const runMs = value('run-ms');
  return {
    only,
    quick: argv.includes('--quick'),
    profile: argv.includes('--profile'),
    heapSnapshot: argv.includes('--heap-snapshot'),
    ...(value('shape') ? { shape: value('shape') } : {}),
    ...(rates ? { rates: rates.split(',').map(Number) } : {}),
    saturation: argv.includes('--saturation'),
    ...(value('who') ? { who: value('who') } : {}),
    ...(runMs ? { runMs: Number(runMs) } : {}),
    serverNodeArgs: value('server-node-args')?.split(',') ?? [],
    ...(value('connections') ? { connections: Number(value('connections')) } : {}),
    ...(value('log-level') ? { logLevel: value('log-level') } : {}),
    ...(value('search-messages') ? { searchMessages: Number(value('search-messages')) } : {}),
  };
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const wants = (name: (typeof SECTIONS)[number]) => options.only.size === 0 || options.only.has(name);
  const startedAt = nowMs();
  const repoRoot = findRepoRoot();
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'payamak-bench-'));
  // As root, PostgreSQL runs as the "postgres" user, which must be able to pass through (not list) this folder.
  await chmod(tmp, 0o711);
  const report = new Report();
  const logger = pino({ level: 'warn', base: { service: 'payamak-bench' } }, pino.destination(2));
  const cleanups: (() => Promise<unknown>)[] = [];
  let exitCode = 0;
  try {
    progress(`starting embedded PostgreSQL (durable: fsync and synchronous_commit on) in ${tmp}`);
    const postgres = await startEmbeddedPostgres({ dataDir: path.join(tmp, 'db'), logger, databaseName: 'payamak_bench', durable: true });
    cleanups.push(() => postgres.stop());
    const pool = new pg.Pool({ connectionString: postgres.url, max: 10 });
    // An idle connection that the server ends (seen about one run in six, at the end of the lifecycle section)
    // is no reason to lose the run: the next query opens another.
    pool.on('error', (error) => progress(`bench database connection lost: ${error.message}`));
    cleanups.push(() => pool.end());
    const base = { databaseUrl: postgres.url, tmp, jwtSecret: randomBytes(32).toString('base64url'), repoRoot, logLevel: options.logLevel ?? 'warn' };

    progress('building Payamak (scripts/build.mjs, as npm start does)');
    buildPayamak(repoRoot);
    progress('starting Payamak (child process: node dist/index.js; applies the migrations)');
    const ours = await startPayamakChild(base, 'payamak', [
      ...options.serverNodeArgs,
      ...(options.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(tmp, 'profile')}`] : []),
    ]);
    cleanups.push(() => ours.stop());
    const floor = await startFloorChild(base, 'floor');
    cleanups.push(() => floor.stop());
    progress(`Payamak pid ${ours.pid}, floor pid ${floor.pid}`);
    progress(`abuse limits off, or the bench's own load would be refused: ${Object.keys(ABUSE_LIMITS_OFF).join(', ')} = 0`);

    const ctx: BenchContext = {
      ...base,
      options,
      pool,
      ours,
      floor,
      report,
      runMs: options.quick ? 1000 : 2000,
      startPayamak: (name, extra) => startPayamakChild(base, name, [...options.serverNodeArgs, ...(extra ?? [])]),
      startFloor: (name, args) => startFloorChild(base, name, args),
    };
    report.data['setup'] = await describeSetup(pool);

    if (wants('floor')) {
      report.data['rawWebSocket'] = await rawWebSocketFloor(ctx);
      report.data['rawPg'] = await rawPgFloor(ctx);
    }
    if (wants('delivery')) {
      const delivery = await deliverySection(ctx);
      report.data['delivery'] = delivery;
      judgeDelivery(report, delivery);
      const allRuns = [...delivery.runs, ...delivery.searchRuns];
      const violations = deliveryViolations(allRuns);
      for (const v of violations) report.note(`NOT EXACTLY ONCE: ${v}`);
      if (allRuns.some(hardViolation)) {
        report.note('ASSERTION FAILED: a delivery no overload explains (duplicate, misdelivered, out of order, or lost with every subscription up)');
        exitCode = 1;
      }
    }
    if (wants('chats')) report.data['chatList'] = await chatListSection(ctx);
    if (wants('media')) report.data['media'] = await mediaSection(ctx);
    if (wants('lifecycle')) report.data['lifecycle'] = await lifecycleSection(ctx);
    if (wants('reactions')) report.data['reactions'] = await reactionsSection(ctx);
    if (wants('scheduled')) report.data['scheduled'] = await scheduledSection(ctx);
    if (wants('search')) report.data['search'] = await searchSection(ctx);
    // Last: it leaves thousands of sockets' worth of work behind in its own server.
    if (wants('connections')) report.data['connections'] = await connectionsSection(ctx);

    if (options.profile) {
      await ours.stop();
      const dir = path.join(tmp, 'profile');
      const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'));
      for (const file of files) await printTopFunctions(path.join(dir, file), 25);
    }
  } catch (error) {
    exitCode = 1;
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.stderr.write(`logs of the servers under test: ${tmp}/*.log\n`);
  } finally {
    agent.destroy();
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }

  const targets = report.table('Targets', ['target', 'measured', 'met']);
  for (const t of report.targets) targets.add(t.name, t.measured, t.met === null ? 'not measured' : t.met ? 'met' : 'MISSED');
  report.print(targets);
  const seconds = (nowMs() - startedAt) / 1000;
  const machine = describeMachine();
  const pgVersion = (report.data['setup'] as { postgres?: Record<string, string> } | undefined)?.postgres?.['server_version'] ?? '?';
  process.stdout.write(
    `\n${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; ${machine['cpus']} × ${machine['cpuModel']}, ${machine['memoryGiB']} GiB, ` +
      `${machine['os']}, Node ${machine['node']}, PostgreSQL ${pgVersion} (embedded, durable); ` +
      `load average at start ${loadAverageAtStart.join(' ')}, at end ${(machine['loadAverageAtEnd'] as number[]).join(' ')}\n`,
  );
  process.stdout.write(`bench took ${fmt(seconds)} s\n`);
  const results = {
    date: new Date().toISOString(),
    durationSeconds: Math.round(seconds),
    options: { ...options, only: [...options.only] },
    machine,
    ...report.data,
    targets: report.targets,
    notes: report.notes,
    tables: report.tables.map((t) => ({ title: t.title, columns: t.columns, rows: t.rows })),
  };
  const file = path.join(repoRoot, 'bench', 'results.json');
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`results written to ${path.relative(process.cwd(), file)}\n`);
  if (exitCode === 0 && !options.profile && !options.heapSnapshot) await rm(tmp, { recursive: true, force: true });
  else process.stdout.write(`kept ${tmp} (logs${options.profile ? ', CPU profiles' : ''}${options.heapSnapshot ? ', heap snapshots' : ''})\n`);
  return exitCode;
}

function judgeDelivery(report: Report, delivery: Awaited<ReturnType<typeof deliverySection>>): void {
  const find = (shape: string, transport: string, rate: number | 'saturation') =>
    delivery.runs.find((r) => r.shape === shape && r.transport === transport && r.rate === rate);
  const ten = find('1 group, 10 subscribers', 'ours', 500);
  if (ten)
    report.target('delivery p99 < 50 ms at 500 msg/s into a 10-member group', `e2e p99 ${fmt(ten.e2e.p99)} ms (10 subscribers + sender)`, ten.e2e.p99 < 50);
  for (const s of delivery.sustained) {
    if (s.shape !== '1 group, 10 subscribers' && !s.shape.startsWith(`${GRID.groups} groups`)) continue;
    const ratio = s.floor && s.ours !== null ? s.ours / s.floor : null;
    report.target(
      // Issue 20's target: 60% of the floor on the worst realistic shape (every member sends, filtered by chat).
      `≥ 60% of the floor's sustained rate (${s.shape})`,
      `ours ${s.ours ?? 'none'} msg/s vs floor ${s.floorBounded ? '' : '≥ '}${s.floor ?? 'none'} msg/s` +
        (ratio === null ? '' : ` (${fmt(100 * ratio)}%${s.floorBounded ? '' : ' or less'})`),
      ratio === null ? (s.ours === null && s.floor !== null ? false : null) : ratio >= 0.6,
    );
  }
  const bigFloor = find(BIG_GROUP_SHAPE, 'floor', BIG_GROUP.target);
  const bigOurs = find(BIG_GROUP_SHAPE, 'ours', BIG_GROUP.target);
  if (bigFloor && bigOurs) {
    report.target(
      `e2e p99 ≤ 2× floor at ${BIG_GROUP.target} msg/s into ${BIG_GROUP_SHAPE} (${BIG_GROUP.target * BIG_GROUP.members} deliveries/s)`,
      `ours ${fmt(bigOurs.e2e.p99)} ms vs floor ${fmt(bigFloor.e2e.p99)} ms (${fmt(bigOurs.e2e.p99 / bigFloor.e2e.p99)}×)`,
      deliveredExactlyOnce(bigOurs) && bigOurs.e2e.p99 <= 2 * bigFloor.e2e.p99,
    );
  }
  // Issue 20's targets, on every 20 × 10 shape (the worst realistic one is what counts): p99 at 500 msg/s and
  // saturation beside the floor's, and the CPU each message costs at saturation.
  const gridShapes = [...new Set(delivery.runs.map((r) => r.shape))].filter((shape) => shape.startsWith(`${GRID.groups} groups`));
  for (const shape of gridShapes) {
    const floor500 = find(shape, 'floor', 500);
    const ours500 = find(shape, 'ours', 500);
    if (floor500 && ours500) {
      report.target(
        `e2e p99 ≤ 2× floor at 500 msg/s (${shape})`,
        `ours ${fmt(ours500.e2e.p99)} ms vs floor ${fmt(floor500.e2e.p99)} ms (${fmt(ours500.e2e.p99 / floor500.e2e.p99)}×)`,
        deliveredExactlyOnce(ours500) && ours500.e2e.p99 <= 2 * floor500.e2e.p99,
      );
    }
    const floorSat = find(shape, 'floor', 'saturation');
    const oursSat = find(shape, 'ours', 'saturation');
    if (!floorSat || !oursSat) continue;
    report.target(
      `saturation ≥ 60% of the floor's (${shape})`,
      `ours ${fmt(oursSat.achievedRate)} msg/s vs floor ${fmt(floorSat.achievedRate)} msg/s (${fmt((100 * oursSat.achievedRate) / floorSat.achievedRate)}%)`,
      oursSat.achievedRate >= 0.6 * floorSat.achievedRate,
    );
    const [ours, floor] = [oursSat.serverCpuPerMessage, floorSat.serverCpuPerMessage];
    if (ours !== null && floor !== null)
      report.target(
        `server CPU per message at saturation ≤ 2× floor (${shape})`,
        `ours ${fmt(ours)} ms vs floor ${fmt(floor)} ms (${fmt(ours / floor)}×)`,
        ours <= 2 * floor,
      );
  }
  const allRuns = [...delivery.runs, ...delivery.searchRuns];
  const violations = deliveryViolations(allRuns);
  report.target(
    'every message delivered exactly once',
    violations.length === 0 ? `all ${allRuns.length} runs` : `${violations.length} run(s) not (see notes)`,
    violations.length === 0,
  );
}

async function describeSetup(pool: pg.Pool): Promise<Record<string, unknown>> {
  const { rows } = await pool.query<{ name: string; setting: string }>(
    "SELECT name, setting FROM pg_settings WHERE name IN ('server_version', 'fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method', 'shared_buffers')",
  );
  return { postgres: Object.fromEntries(rows.map((r) => [r.name, r.setting])), durable: true };
}

const loadAverageAtStart = os.loadavg().map((l) => Math.round(l * 100) / 100);

function describeMachine(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    // 1, 5 and 15 minute load averages: other work on the machine shows here.
    loadAverageAtStart,
    loadAverageAtEnd: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  },
);
