import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { formatBytes, payloadTooLarge } from './media-errors.js';

/** An upload as it arrives: busboy's file stream sets `truncated` when it hit the parser's own limit. */
export type UploadStream = AsyncIterable<Uint8Array> & { truncated?: boolean };

/** An upload written to a temporary file: remove it with {@link TempFile.dispose}, always. */
export interface TempFile {
  readonly path: string;
  readonly size: number;
  /** sha256 of the bytes, hex. */
  readonly sha256: string;
  dispose(): Promise<void>;
}

/**
 * A folder of temporary files. Uploads are written here first (counted, hashed,
 * limited) and inspected before anything is stored.
 */
export class TempDir {
  constructor(readonly dir: string) {}

  /**
   * Creates the folder and removes what a crashed process left in it: entries
   * untouched for `staleMs` (default an hour), so instances sharing the folder
   * never remove each other's uploads in progress.
   */
  async init(staleMs = 3_600_000): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    for (const name of await readdir(this.dir)) {
      const entry = path.join(this.dir, name);
      const { mtimeMs } = await stat(entry).catch(() => ({ mtimeMs: Date.now() }));
      if (Date.now() - mtimeMs >= staleMs) await rm(entry, { force: true, recursive: true });
    }
  }

  /** A fresh path in the folder (nothing is created). */
  newPath(suffix = ''): string {
    return path.join(this.dir, `${randomUUID()}${suffix}`);
  }

  /**
   * Streams `source` into a new temporary file while counting and hashing. More
   * than `maxBytes` (or a stream the parser truncated) stops reading at once,
   * removes what was written and throws PAYLOAD_TOO_LARGE: an oversized upload
   * never costs more than `maxBytes` of disk and one chunk of memory.
   */
  async receive(source: UploadStream, maxBytes: number): Promise<TempFile> {
    const file = this.newPath('.upload');
    const handle = await open(file, 'wx', 0o600);
    const hash = createHash('sha256');
    let size = 0;
    try {
      // Iterating (not pipe) matters: graphql-upload-minimal unpipes the stream when
      // its own limit is hit, which would leave a pipe waiting forever.
      for await (const chunk of source) {
        size += chunk.byteLength;
        if (size > maxBytes) throw payloadTooLarge(`The file is larger than ${formatBytes(maxBytes)}`);
        hash.update(chunk);
        await handle.write(chunk);
      }
      if (source.truncated) throw payloadTooLarge(`The file is larger than ${formatBytes(maxBytes)}`);
      await handle.close();
    } catch (error) {
      await handle.close().catch(() => undefined);
      await rm(file, { force: true });
      throw error;
    }
    return { path: file, size, sha256: hash.digest('hex'), dispose: () => rm(file, { force: true }) };
  }
}
