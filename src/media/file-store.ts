import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdir, rename, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** An inclusive byte range, as in HTTP `Range: bytes=start-end`. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Where file bytes live. Keys are opaque strings the store makes up; callers
 * record them (the File row) and never derive them from user input. The local
 * implementation below writes to disk; an S3-compatible one fits the same shape.
 */
export interface FileStore {
  /** Stores the stream's bytes under a new random key; resolves with the key once they are durable. */
  put(source: Readable | AsyncIterable<Uint8Array>): Promise<string>;
  /**
   * Stores the bytes of a local file under a new random key. The file may be
   * taken (moved) rather than copied: the caller must not use it afterwards,
   * only remove it if it is still there.
   */
  putFile(file: string): Promise<string>;
  /** The stored bytes, or the inclusive `range` of them. Rejects with code ENOENT when the key is unknown. */
  get(key: string, range?: ByteRange): Promise<Readable>;
  /** Removes the bytes; a key that is already gone is not an error. */
  delete(key: string): Promise<void>;
}

const KEY = /^[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{32}$/;

/**
 * Files on local disk under `root`, named by 128 random bits in two levels of
 * 256 folders (`ab/cd/abcd…`), so no folder grows past what file systems handle
 * well and no name ever comes from a client.
 */
export class LocalFileStore implements FileStore {
  constructor(readonly root: string) {}

  async put(source: Readable | AsyncIterable<Uint8Array>): Promise<string> {
    const { key, file } = await this.#newKey();
    const out = createWriteStream(file, { flags: 'wx', mode: 0o600 });
    try {
      await pipeline(source, out);
    } catch (error) {
      // A source that fails at once can beat the file's open: removed before it closes, the file would be created after.
      if (!out.closed) await new Promise<void>((resolve) => out.once('close', () => resolve()));
      await rm(file, { force: true });
      throw error;
    }
    return key;
  }

  /** Moves the file in when it is on the same file system (no bytes copied), else copies it. */
  async putFile(source: string): Promise<string> {
    const { key, file } = await this.#newKey();
    try {
      await rename(source, file);
      await chmod(file, 0o600);
      return key;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') {
        await rm(file, { force: true });
        throw error;
      }
    }
    await rm(file, { force: true });
    return this.put(createReadStream(source));
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const stream = createReadStream(this.#path(key), range ? { start: range.start, end: range.end } : {});
    // Surface "no such file" here rather than as a stream error after headers went out.
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
    });
    return stream;
  }

  async delete(key: string): Promise<void> {
    try {
      await unlink(this.#path(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }

  async #newKey(): Promise<{ key: string; file: string }> {
    const name = randomBytes(16).toString('hex');
    const key = `${name.slice(0, 2)}/${name.slice(2, 4)}/${name}`;
    const file = this.#path(key);
    await mkdir(path.dirname(file), { recursive: true });
    return { key, file };
  }

  /** Absolute path of a key; refuses anything that is not a key this store made. */
  #path(key: string): string {
    if (!KEY.test(key)) throw new Error('Invalid file store key');
    return path.join(this.root, key);
  }
}
