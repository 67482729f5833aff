import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TempDir } from './temp-file.js';

let root: string;
let temp: TempDir;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'payamak-temp-'));
  temp = new TempDir(path.join(root, '.tmp'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const chunks = (n: number, size: number) => Readable.from(Array.from({ length: n }, (_, i) => Buffer.alloc(size, i)));

describe('TempDir', () => {
  it('removes what a crashed process left, but not uploads in progress', async () => {
    const hourAgo = new Date(Date.now() - 3_600_000);
    await mkdir(path.join(root, '.tmp', 'stale'), { recursive: true });
    await writeFile(path.join(root, '.tmp', 'left-by-a-crash.upload'), 'x');
    await writeFile(path.join(root, '.tmp', 'another-instance-receiving.upload'), 'x');
    await utimes(path.join(root, '.tmp', 'stale'), hourAgo, hourAgo);
    await utimes(path.join(root, '.tmp', 'left-by-a-crash.upload'), hourAgo, hourAgo);
    await temp.init();
    expect(await readdir(temp.dir)).toEqual(['another-instance-receiving.upload']);
    await temp.init(0);
    expect(await readdir(temp.dir)).toEqual([]);
  });

  it('writes, counts and hashes an upload; dispose removes it', async () => {
    const received = await temp.receive(chunks(4, 1000), 4000);
    expect(received.size).toBe(4000);
    const bytes = await readFile(received.path);
    expect(received.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    await received.dispose();
    expect(await readdir(temp.dir)).toEqual([]);
  });

  it('stops at the limit with PAYLOAD_TOO_LARGE and leaves nothing', async () => {
    let read = 0;
    const endless = new Readable({
      read() {
        read += 1;
        this.push(Buffer.alloc(64 * 1024));
      },
    });
    await expect(temp.receive(endless, 1024 * 1024)).rejects.toMatchObject({
      extensions: { code: 'PAYLOAD_TOO_LARGE' },
      message: 'The file is larger than 1 MiB',
    });
    expect(read).toBeLessThan(40); // ~17 chunks were needed to cross 1 MiB; it did not read on
    expect(await readdir(temp.dir)).toEqual([]);
  });

  it('refuses a stream the multipart parser truncated at its own limit', async () => {
    const stream = Object.assign(chunks(2, 10), { truncated: false });
    stream.on('end', () => (stream.truncated = true));
    await expect(temp.receive(stream, 1000)).rejects.toMatchObject({ extensions: { code: 'PAYLOAD_TOO_LARGE' } });
    expect(await readdir(temp.dir)).toEqual([]);
  });

  it('removes the partial file when the upload breaks off', async () => {
    const broken = new Readable({
      read() {
        this.push(Buffer.alloc(1000));
        this.destroy(Object.assign(new Error('Request disconnected during file upload stream parsing.'), { status: 499 }));
      },
    });
    await expect(temp.receive(broken, 10_000)).rejects.toThrow(/disconnected/);
    expect(await readdir(temp.dir)).toEqual([]);
  });
});
