/**
 * What a V8 heap snapshot holds, by kind of object, per connection: for
 * `npm run bench -- --only=connections --heap-snapshot`, which takes one of
 * Payamak before its idle connections open and one with them open.
 *
 *   npx tsx bench/heap-top.ts with.heapsnapshot connections [--baseline=before.heapsnapshot] [--count=30]
 *
 * Objects are grouped by their node type and name (a class, a closure's
 * function, "(string)", "(array)"), by self size: where the bytes are, not
 * what keeps them alive. With a baseline, each group's growth since it.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

type Groups = Map<string, { objects: number; bytes: number }>;

/** Node types whose name is a string's contents or code, not a kind: grouped by type alone. */
const BY_TYPE_ONLY = new Set(['string', 'concatenated string', 'sliced string', 'code', 'number', 'hidden', 'array']);

async function groupsOf(file: string): Promise<{ groups: Groups; total: number }> {
  const snapshot = JSON.parse(await readFile(file, 'utf8')) as HeapSnapshot;
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const groups: Groups = new Map();
  let total = 0;
  for (let i = 0; i < snapshot.nodes.length; i += width) {
    const type = types[snapshot.nodes[i + typeAt]!] ?? '?';
    const size = snapshot.nodes[i + sizeAt]!;
    const name = BY_TYPE_ONLY.has(type) ? '' : (snapshot.strings[snapshot.nodes[i + nameAt]!] ?? '?').slice(0, 60);
    const key = name ? `${type} ${name}` : `(${type})`;
    const group = groups.get(key) ?? { objects: 0, bytes: 0 };
    group.objects += 1;
    group.bytes += size;
    groups.set(key, group);
    total += size;
  }
  return { groups, total };
}

export async function printHeapTop(file: string, connections: number, options: { baseline?: string; count?: number } = {}): Promise<void> {
  const { groups, total } = await groupsOf(file);
  const base = options.baseline ? await groupsOf(options.baseline) : { groups: new Map() as Groups, total: 0 };
  const grown = [...groups].map(([key, { objects, bytes }]) => {
    const before = base.groups.get(key) ?? { objects: 0, bytes: 0 };
    return { key, objects: objects - before.objects, bytes: bytes - before.bytes };
  });
  const rows = grown.sort((a, b) => b.bytes - a.bytes).slice(0, options.count ?? 30);
  const growth = total - base.total;
  process.stdout.write(
    `\n### Heap snapshot ${path.basename(file)}${options.baseline ? ` against ${path.basename(options.baseline)}` : ''}: ` +
      `${(growth / 1e6).toFixed(1)} MB, ${(growth / connections / 1024).toFixed(1)} KB per connection (${connections})\n\n`,
  );
  process.stdout.write('| bytes per connection | objects per connection | kind |\n| ---: | ---: | --- |\n');
  for (const { key, objects, bytes } of rows) {
    process.stdout.write(`| ${(bytes / connections).toFixed(0)} | ${(objects / connections).toFixed(2)} | ${key.replaceAll('|', '\\|')} |\n`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [file, connections] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const option = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  if (!file || !connections) {
    process.stderr.write('usage: tsx bench/heap-top.ts with.heapsnapshot connections [--baseline=before.heapsnapshot] [--count=30]\n');
    process.exit(2);
  }
  const count = option('count');
  await printHeapTop(file, Number(connections), {
    ...(option('baseline') ? { baseline: option('baseline')! } : {}),
    ...(count ? { count: Number(count) } : {}),
  });
}
