import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { FileStore } from '@tus/file-store';
import { Upload } from '@tus/server';

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Where resumable (tus) uploads collect their bytes: @tus/file-store in
 * `UPLOAD_DIR/.tus`, one file per upload and its `<id>.json` beside it. Every
 * instance opens the same folder, so a PATCH may land on any of them (the
 * lock that keeps two from writing at once is the tus server's locker). Only
 * uploads this server created (createUpload) exist here: ids are the
 * UploadSession rows' uuids, never a client's name.
 */
export class ResumableStore {
  /** The tus data store that the tus server writes through. */
  readonly datastore: FileStore;

  constructor(readonly dir: string) {
    this.datastore = new FileStore({ directory: dir });
  }

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  /** An empty upload of `size` bytes, as a tus POST would create it. */
  async create(id: string, size: number): Promise<void> {
    this.#check(id);
    await this.datastore.create(new Upload({ id, size, offset: 0, creation_date: new Date().toISOString() }));
  }

  /** Where the upload's bytes are. */
  path(id: string): string {
    this.#check(id);
    return path.join(this.dir, id);
  }

  /** Removes the bytes and the description; what is already gone is not an error. */
  async remove(id: string): Promise<void> {
    const file = this.path(id);
    await Promise.all([rm(file, { force: true }), rm(`${file}.json`, { force: true })]);
  }

  #check(id: string): void {
    if (!ID.test(id)) throw new Error('Invalid resumable upload id');
  }
}
