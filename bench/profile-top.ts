/**
 * The hottest functions of a V8 CPU profile (`node --cpu-prof`) by self time.
 *
 *   npx tsx bench/profile-top.ts path/to/file.cpuprofile [count] [--inclusive] [--last=SECONDS]
 *
 * --last counts only the profile's final seconds: the steady state of a run,
 * without start-up (module loading, seeding users).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export async function printTopFunctions(file: string, count = 25, inclusive = false, lastSeconds?: number): Promise<void> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as Profile;
  if (lastSeconds !== undefined) keepLast(profile, lastSeconds);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const delta = profile.timeDeltas[i] ?? 0;
    if (!node) return;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? `${shorten(url)}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'} ${where}`.trim();
    selfUs.set(key, (selfUs.get(key) ?? 0) + delta);
    total += delta;
  });
  const idle = selfUs.get('(idle)') ?? 0;
  const busy = total - idle;
  process.stdout.write(`\n### CPU profile ${path.basename(file)}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy\n\n`);
  process.stdout.write('| self ms | % of busy | function |\n| ---: | ---: | --- |\n');
  const top = [...selfUs.entries()]
    .filter(([k]) => k !== '(idle)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, count);
  for (const [key, us] of top) process.stdout.write(`| ${(us / 1000).toFixed(0)} | ${((100 * us) / busy).toFixed(1)} | ${key} |\n`);

  if (inclusive) {
    // Time with the function anywhere on the stack (each function once per sample).
    const parent = new Map<number, number>();
    for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
    const keyOf = (node: ProfileNode) => {
      const { functionName, url, lineNumber } = node.callFrame;
      return `${functionName || '(anonymous)'} ${url ? `${shorten(url)}:${lineNumber + 1}` : ''}`.trim();
    };
    const total = new Map<string, number>();
    profile.samples.forEach((id, i) => {
      const delta = profile.timeDeltas[i] ?? 0;
      const seen = new Set<string>();
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const node = byId.get(at);
        if (!node) break;
        const key = keyOf(node);
        if (key === '(idle)') break;
        if (!seen.has(key)) {
          seen.add(key);
          total.set(key, (total.get(key) ?? 0) + delta);
        }
      }
    });
    process.stdout.write('\n| total ms | % of busy | function (inclusive) |\n| ---: | ---: | --- |\n');
    for (const [key, us] of [...total.entries()].sort((a, b) => b[1] - a[1]).slice(0, count * 3)) {
      process.stdout.write(`| ${(us / 1000).toFixed(0)} | ${((100 * us) / busy).toFixed(1)} | ${key} |\n`);
    }
  }

  // Self time summed per package (node_modules/<name>) or "ours" / "node", to see where the time goes.
  const byPackage = new Map<string, number>();
  for (const [key, us] of selfUs) {
    if (key === '(idle)') continue;
    byPackage.set(packageOf(key), (byPackage.get(packageOf(key)) ?? 0) + us);
  }
  process.stdout.write('\n| self ms | % of busy | package |\n| ---: | ---: | --- |\n');
  for (const [name, us] of [...byPackage.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
    process.stdout.write(`| ${(us / 1000).toFixed(0)} | ${((100 * us) / busy).toFixed(1)} | ${name} |\n`);
  }
}

/** Drops the samples before the final `seconds` (their time deltas become 0). */
function keepLast(profile: Profile, seconds: number): void {
  const from = profile.endTime - seconds * 1e6;
  let at = profile.startTime;
  profile.timeDeltas = profile.timeDeltas.map((delta) => {
    at += delta;
    return at < from ? 0 : delta;
  });
}

function shorten(url: string): string {
  const clean = url.replace(/^file:\/\//, '');
  const nm = clean.lastIndexOf('node_modules/');
  if (nm >= 0) return clean.slice(nm + 'node_modules/'.length);
  const src = clean.search(/\/(src|dist)\//);
  return src >= 0 ? clean.slice(src + 1) : clean;
}

function packageOf(key: string): string {
  const where = key.slice(key.lastIndexOf(' ') + 1);
  if (where.startsWith('src/') || where.startsWith('dist/')) return 'ours (src/)';
  if (where.startsWith('node:') || !where.includes('/')) return 'node internals / GC / native';
  const parts = where.split('/');
  return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const last = process.argv.find((a) => a.startsWith('--last='));
  const [file, count] = args;
  if (!file) {
    process.stderr.write('usage: tsx bench/profile-top.ts file.cpuprofile [count]\n');
    process.exit(2);
  }
  await printTopFunctions(file, count ? Number(count) : 25, process.argv.includes('--inclusive'), last ? Number(last.slice(7)) : undefined);
}
