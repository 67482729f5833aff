import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalFileStore } from './file-store.js';

let root: string;
let store: LocalFileStore;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'payamak-store-'));
  store = new LocalFileStore(root);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const text = async (stream: Readable) => {
  let out = '';
  for await (const chunk of stream) out += String(chunk);
  return out;
};

describe('LocalFileStore', () => {
  it('stores under random sharded keys, reads whole or by range, deletes', async () => {
    const key = await store.put(Readable.from([Buffer.from('hello '), Buffer.from('world')]));
    expect(key).toMatch(/^([0-9a-f]{2})\/([0-9a-f]{2})\/\1\2[0-9a-f]{28}$/);
    expect(await readFile(path.join(root, key), 'utf8')).toBe('hello world');
    expect((await stat(path.join(root, key))).mode & 0o777).toBe(0o600);
    expect(await text(await store.get(key))).toBe('hello world');
    expect(await text(await store.get(key, { start: 6, end: 10 }))).toBe('world');
    expect(await store.put(Readable.from([Buffer.from('x')]))).not.toBe(key);
    await store.delete(key);
    await expect(store.get(key)).rejects.toMatchObject({ code: 'ENOENT' });
    await store.delete(key); // gone already: fine
  });

  it('takes a local file by moving it in, private to the server', async () => {
    const source = path.join(root, 'incoming.bin');
    await writeFile(source, 'moved, not copied', { mode: 0o644 });
    const key = await store.putFile(source);
    await expect(stat(source)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await text(await store.get(key))).toBe('moved, not copied');
    expect((await stat(path.join(root, key))).mode & 0o777).toBe(0o600);
    await store.delete(key);
  });

  it('never touches a path that is not one of its keys', async () => {
    for (const key of ['../../etc/passwd', 'ab/cd/../../x', '/etc/passwd', 'AB/CD/0123456789abcdef0123456789abcdef']) {
      await expect(store.get(key)).rejects.toThrow(/Invalid file store key/);
      await expect(store.delete(key)).rejects.toThrow(/Invalid file store key/);
    }
  });

  it('leaves nothing behind when the source fails', async () => {
    const failing = new Readable({
      read() {
        this.push(Buffer.from('partial'));
        this.destroy(new Error('client went away'));
      },
    });
    await expect(store.put(failing)).rejects.toThrow(/client went away/);
    const { readdir } = await import('node:fs/promises');
    const files = (await readdir(root, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
    expect(files.map((f) => f.name)).toHaveLength(1); // the 'x' from the first test
  });
});
