/**
 * Section 5: a 100 MB upload through `sendMediaMessage` (GraphQL multipart
 * request spec, https://github.com/jaydenseric/graphql-multipart-request-spec),
 * streamed from a generated MP4-looking file on disk: its throughput and the
 * server's peak RSS growth. Skipped when the server's schema has no
 * `sendMediaMessage` (the media feature is built on another branch).
 */
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import type { BenchContext } from '../lib/context.js';
import { graphql } from '../lib/http.js';
import { peakRssBytes, resetPeakRss, rssBytes } from '../lib/proc.js';
import { progress } from '../lib/report.js';
import { createGroup, registerUsers } from '../lib/seed.js';
import { fmt, nowMs, sleep } from '../lib/stats.js';

// 100 MB (decimal): a file of exactly 100 MiB meets the parser's limit and is refused as too large.
const SIZE = 100_000_000;

export interface MediaResults {
  skipped?: string;
  bytes?: number;
  seconds?: number;
  megabytesPerSecond?: number;
  status?: number;
  response?: string;
  rssBeforeBytes?: number;
  peakRssGrowthBytes?: number;
  peakSource?: 'VmHWM' | 'polled VmRSS';
}

export async function mediaSection(ctx: BenchContext): Promise<MediaResults> {
  type TypeRef = { name: string | null; ofType: TypeRef | null };
  const mutations = await graphql<{ __type: { fields: { name: string; args: { name: string; type: TypeRef }[] }[] } | null }>(
    ctx.ours.url,
    '{ __type(name: "Mutation") { fields { name args { name type { name ofType { name ofType { name } } } } } } }',
  );
  const field = mutations.__type?.fields.find((f) => f.name === 'sendMediaMessage');
  if (!field) {
    process.stdout.write('\nmedia: skipped (no media support in this build)\n');
    ctx.report.target('media: 100 MB upload throughput and peak RSS growth', 'skipped (no sendMediaMessage in this build)', null);
    return { skipped: 'no media support in this build' };
  }

  // The input type's name as the server declares it (SendMediaMessageInput by type-graphql's convention).
  let inputType: TypeRef | null = field.args.find((a) => a.name === 'input')?.type ?? null;
  while (inputType && !inputType.name) inputType = inputType.ofType;
  const inputTypeName = inputType?.name ?? 'SendMediaMessageInput';

  progress('media: writing a 100 MB MP4-looking file and uploading it');
  const file = path.join(ctx.tmp, 'bench-100mb.mp4');
  await writeMp4Like(file, SIZE);
  const [sender, other] = await registerUsers(ctx.ours.url, 2, `media${Date.now().toString(36)}_`);
  const chatId = await createGroup(ctx.ours.url, sender!, [other!], 'media bench');

  const pid = ctx.ours.pid;
  await sleep(500);
  const rssBefore = await rssBytes(pid);
  const canResetPeak = await resetPeakRss(pid);
  let polledPeak = rssBefore;
  const poller = setInterval(() => {
    void rssBytes(pid).then((rss) => (polledPeak = Math.max(polledPeak, rss)), () => undefined);
  }, 20);
  const started = nowMs();
  let response: { status: number; body: string };
  try {
    response = await uploadMultipart(`${ctx.ours.url}/graphql`, sender!.token!, chatId, file, inputTypeName);
  } finally {
    clearInterval(poller);
  }
  const seconds = (nowMs() - started) / 1000;
  const peak = canResetPeak ? Math.max(await peakRssBytes(pid), polledPeak) : polledPeak;
  const ok = response.status === 200 && !response.body.includes('"errors"');
  const results: MediaResults = {
    bytes: SIZE,
    seconds,
    megabytesPerSecond: SIZE / 2 ** 20 / seconds,
    status: response.status,
    response: response.body.slice(0, 300),
    rssBeforeBytes: rssBefore,
    peakRssGrowthBytes: peak - rssBefore,
    peakSource: canResetPeak ? 'VmHWM' : 'polled VmRSS',
  };
  const table = ctx.report.table('5. Media: one 100 MB upload (multipart, streamed from disk)', ['result', 'seconds', 'MB/s', 'peak RSS growth MB']);
  table.add(ok ? 'ok' : `failed: HTTP ${response.status} ${response.body.slice(0, 120)}`, fmt(seconds), fmt(results.megabytesPerSecond), fmt((peak - rssBefore) / 2 ** 20));
  ctx.report.print(table);
  ctx.report.target('media: 100 MB upload', ok ? `${fmt(results.megabytesPerSecond)} MB/s, peak RSS +${fmt((peak - rssBefore) / 2 ** 20)} MB` : `failed (HTTP ${response.status})`, null);
  return results;
}

/**
 * An `ftyp` box (ISO BMFF, brand isom) and an `mdat` box spanning the rest,
 * filled with a repeating non-zero pattern: what file-type detection sees as
 * video/mp4, without being a playable video.
 */
export async function writeMp4Like(file: string, size: number): Promise<void> {
  const existing = await stat(file).catch(() => undefined);
  if (existing?.size === size) return;
  const handle = await open(file, 'w');
  try {
    const ftyp = Buffer.alloc(32);
    ftyp.writeUInt32BE(32, 0);
    ftyp.write('ftypisom', 4, 'latin1');
    ftyp.writeUInt32BE(0x200, 12);
    ftyp.write('isomiso2avc1mp41', 16, 'latin1');
    const mdatHeader = Buffer.alloc(8);
    mdatHeader.writeUInt32BE(size - 32, 0);
    mdatHeader.write('mdat', 4, 'latin1');
    await handle.write(Buffer.concat([ftyp, mdatHeader]));
    const chunk = Buffer.alloc(4 * 2 ** 20);
    for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31 + 7) & 0xff;
    let written = 40;
    while (written < size) {
      const n = Math.min(chunk.length, size - written);
      await handle.write(chunk.subarray(0, n));
      written += n;
    }
  } finally {
    await handle.close();
  }
}

/** One multipart request (operations, map, file) with a known Content-Length, the file part streamed from disk. */
export function uploadMultipart(url: string, token: string, chatId: string, file: string, inputTypeName: string): Promise<{ status: number; body: string }> {
  const boundary = `----payamak-bench-${randomUUID()}`;
  const operations = JSON.stringify({
    query: `mutation SendMedia($input: ${inputTypeName}!) { sendMediaMessage(input: $input) { id } }`,
    variables: { input: { chatId, file: null, caption: 'benchmark upload' } },
  });
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${operations}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n${JSON.stringify({ 0: ['variables.input.file'] })}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="0"; filename="benchmark.mp4"\r\nContent-Type: video/mp4\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': String(head.length + SIZE + tail.length),
          'apollo-require-preflight': 'true',
          authorization: `Bearer ${token}`,
        },
        timeout: 120_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('upload timed out')));
    req.on('error', reject);
    req.write(head);
    const stream = createReadStream(file, { highWaterMark: 1024 * 1024 });
    stream.on('error', reject);
    stream.on('end', () => req.end(tail));
    stream.pipe(req, { end: false });
  });
}
