import { createHash, randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroup, createPrivateChat } from '../../test/chats.js';
import { as, createUser, type TestUser } from '../../test/factories.js';
import {
  AlbumHistoryDocument,
  CreateUploadDocument,
  DeleteMessageDocument,
  ForwardMessageDocument,
  OnAlbumMessageDocument,
  SendAttachmentsDocument,
  SendMediaMessageDocument,
  UploadedFileDocument,
  type SendAttachmentsInput,
} from '../../test/generated/graphql.js';
import { elfExecutable, ftyp, jpegPhoto, oggOpus, phonePhoto, pngBomb } from '../../test/media-fixtures.js';
import { LiveSubscription, expectErrorCode, expectNoErrors, gql, startTestServer, waitForListeners, wsClient, type TestServer } from '../../test/server.js';
import { createUpload, onInstance, tusHeaders, tusOffset, tusPatch, uploadResumable } from '../../test/tus.js';
import { gqlUpload, listFiles } from '../../test/uploads.js';
import { MessageTopic } from '../messages/index.js';

const MB = 1_000_000;
const CAPS = { MAX_UNFINISHED_UPLOADS: '3', MAX_UNFINISHED_UPLOAD_BYTES: String(50 * MB) };

let a: TestServer;
let b: TestServer;
let uploadDir: string;
let alice: TestUser, bob: TestUser, stranger: TestUser;
let chatId: string;

beforeAll(async () => {
  a = await startTestServer(CAPS);
  uploadDir = path.join(a.dataDir, 'uploads');
  // A second instance on the same database and the same UPLOAD_DIR: behind a load balancer without stickiness.
  b = await startTestServer({ ...CAPS, UPLOAD_DIR: uploadDir }, { shareDatabaseWith: a });
  [alice, bob, stranger] = await Promise.all([createUser(a), createUser(a), createUser(a)]);
  chatId = await createPrivateChat(a, alice, bob);
});
afterAll(async () => {
  await b?.close();
  await a?.close();
});

/** An MP4 as type detection sees it (an ftyp box), then `size` bytes in all of random filler: every byte counts for the hash. */
function mp4(size: number): Buffer {
  const head = ftyp('isom');
  return Buffer.concat([head, randomBytes(size - head.length)]);
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** A body that sends `bytes` in 64 KiB chunks and then breaks off, as a phone losing its network does. */
function cutAfter(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    async pull(controller) {
      if (sent >= bytes.byteLength) {
        // Give the server a moment to take in what was sent, then drop the connection.
        await new Promise((resolve) => setTimeout(resolve, 200));
        controller.error(new Error('network lost'));
        return;
      }
      const chunk = bytes.subarray(sent, Math.min(sent + 65_536, bytes.byteLength));
      sent += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
}

const sendAlbum = (user: TestUser, input: SendAttachmentsInput, server: TestServer = a) => gql(server, SendAttachmentsDocument, { input }, as(user));
const tusFile = (id: string) => path.join(uploadDir, '.tus', id);
const exists = (file: string) =>
  stat(file).then(
    () => true,
    () => false,
  );

describe('createUpload', () => {
  it('creates the session and the tus upload: url on the origin, offset 0, 24 h to finish', async () => {
    const me = await createUser(a);
    const before = Date.now();
    const upload = await createUpload(a, me.accessToken, 1234, { mimeType: 'video/mp4', fileName: 'clip.mp4' });
    expect(upload).toMatchObject({ offset: 0, size: 1234, url: `${a.url}/uploads/tus/${upload.id}` });
    expect(Date.parse(upload.expiresAt) - before).toBeGreaterThanOrEqual(24 * 3600_000 - 1000);
    expect(Date.parse(upload.expiresAt) - before).toBeLessThanOrEqual(24 * 3600_000 + 5000);
    const head = await tusOffset(upload.url, me.accessToken);
    expect(head.status).toBe(200);
    expect(head.offset).toBe(0);
    expect(head.response.headers.get('upload-length')).toBe('1234');
    expect(head.response.headers.get('tus-resumable')).toBe('1.0.0');
    expect(await exists(tusFile(upload.id))).toBe(true);
  });

  it.each([
    ['zero bytes', 0],
    ['a negative size', -5],
    ['more than the 100 MiB media limit', 100 * 1024 * 1024 + 1],
  ])('refuses %s with BAD_USER_INPUT, writing nothing', async (_, size) => {
    const user = await createUser(a);
    const result = await gql(a, CreateUploadDocument, { input: { size } }, as(user));
    expect(expectErrorCode(result, 'BAD_USER_INPUT').extensions?.['field']).toBe('size');
    expect(await a.database.prisma.uploadSession.count({ where: { ownerId: user.user.id } })).toBe(0);
  });

  it('refuses a mimeType that is not type/subtype', async () => {
    expectErrorCode(await gql(a, CreateUploadDocument, { input: { size: 10, mimeType: 'not a type' } }, as(alice)), 'BAD_USER_INPUT');
  });

  it('caps unfinished uploads per user by count (MAX_UNFINISHED_UPLOADS): a finished one makes room', async () => {
    const user = await createUser(a);
    const first = await createUpload(a, user.accessToken, 100);
    await createUpload(a, user.accessToken, 100);
    await createUpload(a, user.accessToken, 100);
    const refused = expectErrorCode(await gql(a, CreateUploadDocument, { input: { size: 100 } }, as(user)), 'RATE_LIMITED');
    expect(refused.extensions).toMatchObject({ policy: 'unfinishedUploads' });
    expect(await a.database.prisma.uploadSession.count({ where: { ownerId: user.user.id } })).toBe(3);
    // Finishing one (a real text file) frees its place.
    const text = Buffer.from('x'.repeat(99) + '\n');
    expect((await tusPatch(first.url, user.accessToken, 0, text)).status).toBe(204);
    expect((await createUpload(a, user.accessToken, 100)).size).toBe(100);
  });

  it('caps the bytes of unfinished uploads per user (MAX_UNFINISHED_UPLOAD_BYTES)', async () => {
    const user = await createUser(a);
    await createUpload(a, user.accessToken, 30 * MB);
    const refused = expectErrorCode(await gql(a, CreateUploadDocument, { input: { size: 30 * MB } }, as(user)), 'RATE_LIMITED');
    expect(refused.extensions).toMatchObject({ policy: 'unfinishedUploads' });
    expect((await createUpload(a, user.accessToken, 20 * MB)).size).toBe(20 * MB);
  });

  it('counts against the upload budget (RATE_LIMIT_UPLOADS), with CORS for tus on the allowed origins', async () => {
    const origin = 'https://app.example';
    const c = await startTestServer({ ...CAPS, UPLOAD_DIR: uploadDir, RATE_LIMIT_UPLOADS: '2/900', CORS_ORIGINS: origin }, { shareDatabaseWith: a });
    try {
      const user = await createUser(c);
      const upload = await createUpload(c, user.accessToken, 10);
      await createUpload(c, user.accessToken, 10);
      const refused = expectErrorCode(await gql(c, CreateUploadDocument, { input: { size: 10 } }, as(user)), 'RATE_LIMITED');
      expect(refused.extensions?.['retryAfterSeconds']).toBeGreaterThan(0);

      // A browser on the allowed origin: the preflight admits PATCH with tus's headers, and the answer's offset is readable.
      const preflight = await fetch(upload.url, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'PATCH',
          'access-control-request-headers': 'authorization,tus-resumable,upload-offset,content-type',
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe(origin);
      expect(preflight.headers.get('access-control-allow-methods')).toContain('PATCH');
      expect(preflight.headers.get('access-control-allow-headers')).toContain('upload-offset');
      const patched = await tusPatch(upload.url, user.accessToken, 0, Buffer.from('hello tus\n'), { origin });
      expect(patched.status).toBe(204);
      expect(patched.headers.get('access-control-allow-origin')).toBe(origin);
      expect(patched.headers.get('access-control-expose-headers')?.toLowerCase()).toContain('upload-offset');
      // Another origin gets no CORS header to read anything with.
      const elsewhere = await tusOffset(upload.url, user.accessToken).then(() =>
        fetch(upload.url, { method: 'HEAD', headers: tusHeaders(user.accessToken, { origin: 'https://evil.example' }) }),
      );
      expect(elsewhere.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await c.close();
    }
  });
});

describe('tus', () => {
  it('a 20 MB upload cut at 7 MB resumes on the other instance from the HEAD offset, ends byte-identical, and is sent', async () => {
    const bytes = mp4(20 * MB);
    const upload = await createUpload(a, alice.accessToken, bytes.byteLength, { mimeType: 'video/mp4', fileName: 'holiday.mp4' });

    // The first 7 MB go to instance A, then the connection breaks.
    await expect(tusPatch(upload.url, alice.accessToken, 0, cutAfter(bytes.subarray(0, 7 * MB)))).rejects.toThrow();

    // The phone comes back through the load balancer, which sends it to B: HEAD for the offset, PATCH from there.
    const resumeUrl = onInstance(upload.url, b);
    const head = await tusOffset(resumeUrl, alice.accessToken);
    expect(head.status).toBe(200);
    const offset = head.offset!;
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThanOrEqual(7 * MB);
    const resumed = await tusPatch(resumeUrl, alice.accessToken, offset, bytes.subarray(offset));
    expect(resumed.status).toBe(204);
    expect(resumed.headers.get('upload-offset')).toBe(String(bytes.byteLength));
    // Done: HEAD says so, the tus bytes moved into the store.
    expect((await tusOffset(upload.url, alice.accessToken)).offset).toBe(bytes.byteLength);
    expect(await exists(tusFile(upload.id))).toBe(false);

    const message = expectNoErrors(await sendAlbum(alice, { chatId, attachments: [{ uploadId: upload.id }], caption: 'from the beach' }, b)).sendAttachments;
    expect(message).toMatchObject({ kind: 'VIDEO', text: 'from the beach', file: { id: upload.id } });
    expect(message.files).toHaveLength(1);
    expect(message.files[0]).toMatchObject({ id: upload.id, kind: 'VIDEO', mimeType: 'video/mp4', size: bytes.byteLength, originalName: 'holiday.mp4' });
    const downloaded = Buffer.from(await (await fetch(message.files[0]!.url)).arrayBuffer());
    expect(sha256(downloaded)).toBe(sha256(bytes));
    expect((await a.database.prisma.file.findUniqueOrThrow({ where: { id: upload.id } })).checksum).toBe(sha256(bytes));
    // Bob sees it in the chat; the session is gone.
    const history = expectNoErrors(await gql(a, AlbumHistoryDocument, { chatId, first: 1 }, as(bob))).messages.edges;
    expect(history[0]!.node.files.map((file) => file.id)).toEqual([upload.id]);
    expect(await a.database.prisma.uploadSession.count({ where: { id: upload.id } })).toBe(0);
  });

  it('refuses bytes beyond the declared size (413) and a wrong offset (409), keeping what was right', async () => {
    const me = await createUser(a);
    const upload = await createUpload(a, me.accessToken, 10);
    const tooMuch = await tusPatch(upload.url, me.accessToken, 0, Buffer.from('0123456789ABCDEF'));
    expect(tooMuch.status).toBe(413);
    expect((await tusOffset(upload.url, me.accessToken)).offset).toBe(0);
    expect((await tusPatch(upload.url, me.accessToken, 0, Buffer.from('hello'))).status).toBe(204);
    expect((await tusPatch(upload.url, me.accessToken, 2, Buffer.from('llo'))).status).toBe(409);
    expect((await tusOffset(upload.url, me.accessToken)).offset).toBe(5);
  });

  it('is the owner’s alone: strangers get 404 as for an unknown id, and no token 401', async () => {
    const me = await createUser(a);
    const upload = await createUpload(a, me.accessToken, 10);
    for (const method of ['HEAD', 'PATCH', 'DELETE']) {
      const response = await fetch(upload.url, {
        method,
        headers: tusHeaders(stranger.accessToken, { 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }),
        ...(method === 'PATCH' ? { body: Buffer.from('evil') } : {}),
      });
      expect(response.status, method).toBe(404);
    }
    expect((await tusOffset(`${a.url}/uploads/tus/8f14e45f-ceea-467a-9af0-fd0a2b4a9c1e`, me.accessToken)).status).toBe(404);
    expect((await tusOffset(`${a.url}/uploads/tus/not-an-id`, me.accessToken)).status).toBe(404);
    expect((await tusOffset(upload.url, null)).status).toBe(401);
    expect((await tusOffset(upload.url, me.accessToken)).offset).toBe(0);
    // Uploads are made by createUpload only, never by a tus POST.
    const post = await fetch(`${a.url}/uploads/tus`, { method: 'POST', headers: tusHeaders(me.accessToken, { 'upload-length': '10' }) });
    expect(post.status).toBe(405);
  });

  it('keeps the CSRF rule: a PATCH without Tus-Resumable or with a form content type writes nothing', async () => {
    const me = await createUser(a);
    const upload = await createUpload(a, me.accessToken, 10);
    const noProtocol = await fetch(upload.url, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${me.accessToken}`, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
      body: Buffer.from('hello'),
    });
    expect(noProtocol.status).toBe(412);
    const form = await tusPatch(upload.url, me.accessToken, 0, Buffer.from('hello'), { 'content-type': 'text/plain' });
    expect(form.status).toBe(400);
    expect((await tusOffset(upload.url, me.accessToken)).offset).toBe(0);
  });

  it('DELETE cancels an unfinished upload: row and bytes gone', async () => {
    const me = await createUser(a);
    const upload = await createUpload(a, me.accessToken, 10);
    expect((await fetch(upload.url, { method: 'DELETE', headers: tusHeaders(me.accessToken) })).status).toBe(204);
    expect(await exists(tusFile(upload.id))).toBe(false);
    expect(await a.database.prisma.uploadSession.count({ where: { id: upload.id } })).toBe(0);
    expect((await tusOffset(upload.url, me.accessToken)).status).toBe(404);
  });

  it.each([
    ['whose bytes fail type detection (an executable)', 415, () => Promise.resolve(elfExecutable())],
    ['whose image fails processing (a decompression bomb)', 415, () => Promise.resolve(pngBomb())],
  ])('an upload %s is refused when it completes and leaves nothing in UPLOAD_DIR', async (_, status, make) => {
    const bytes = await make();
    const before = await listFiles(uploadDir);
    const upload = await createUpload(a, alice.accessToken, bytes.byteLength);
    const finished = await tusPatch(upload.url, alice.accessToken, 0, bytes);
    expect([status, 400, 413]).toContain(finished.status);
    expect(await listFiles(uploadDir)).toEqual(before);
    expect(await a.database.prisma.uploadSession.count({ where: { id: upload.id } })).toBe(0);
    expect(await a.database.prisma.file.count({ where: { id: upload.id } })).toBe(0);
    expect((await tusOffset(upload.url, alice.accessToken)).status).toBe(404);
  });

  it('expired uploads are removed by the job queue: unfinished bytes, and a finished file never sent', async () => {
    const unfinished = await createUpload(a, alice.accessToken, 1000);
    expect((await tusPatch(unfinished.url, alice.accessToken, 0, Buffer.alloc(400, 0x41))).status).toBe(204);
    const photo = await phonePhoto('png', 64, 48);
    const finished = await uploadResumable(a, alice.accessToken, photo, 'never-sent.png');
    const file = await a.database.prisma.file.findUniqueOrThrow({ where: { id: finished } });
    const storeFiles = [file.storageKey, file.thumbnailKey!].map((key) => path.join(uploadDir, key));
    expect(await exists(tusFile(unfinished.id))).toBe(true);
    for (const stored of storeFiles) expect(await exists(stored)).toBe(true);

    // As if a day had passed; the ten-minute cron would run the sweep, the test asks for a run at once.
    await a.database.prisma.uploadSession.updateMany({ where: { id: { in: [unfinished.id, finished] } }, data: { expiresAt: new Date(Date.now() - 1000) } });
    await a.jobs.add('expire_uploads', {});
    await expect.poll(() => a.database.prisma.uploadSession.count({ where: { id: { in: [unfinished.id, finished] } } }), { timeout: 10_000 }).toBe(0);
    await expect.poll(() => exists(tusFile(unfinished.id)), { timeout: 5000 }).toBe(false);
    expect(await exists(`${tusFile(unfinished.id)}.json`)).toBe(false);
    await expect.poll(() => a.database.prisma.file.count({ where: { id: finished } }), { timeout: 5000 }).toBe(0);
    for (const stored of storeFiles) await expect.poll(() => exists(stored), { timeout: 5000 }).toBe(false);
  });
});

describe('sendAttachments', () => {
  it('an album of 3 images arrives as one message with 3 files, in order, to a subscribed member', async () => {
    const photos = [await phonePhoto('png', 64, 48), await jpegPhoto(40, 30), await phonePhoto('jpeg', 30, 60)];
    const ids = [];
    for (const [i, photo] of photos.entries()) ids.push(await uploadResumable(a, alice.accessToken, photo, `p${i}.img`));
    const live = new LiveSubscription(wsClient(a, bob.accessToken), OnAlbumMessageDocument, { chatId });
    try {
      await waitForListeners(a, MessageTopic.NewMessage, bob.user.id);
      const sent = expectNoErrors(
        await sendAlbum(alice, { chatId, attachments: ids.map((uploadId) => ({ uploadId })), caption: 'three', clientId: 'album-1' }),
      ).sendAttachments;
      expect(sent).toMatchObject({ kind: 'IMAGE', text: 'three', file: { id: ids[0] } });
      expect(sent.files.map((file) => file.id)).toEqual(ids);
      expect(sent.files.every((file) => file.thumbnailUrl !== null && file.kind === 'IMAGE')).toBe(true);

      const [event] = await live.waitFor(1);
      expect(event!.newMessage).toMatchObject({ id: sent.id, kind: 'IMAGE', text: 'three', file: { id: ids[0] } });
      // Each with its own dimensions (after EXIF orientation), in the order sent.
      expect(event!.newMessage.files.map((file) => [file.id, file.width, file.height])).toEqual(sent.files.map((file) => [file.id, file.width, file.height]));
      expect(new Set(sent.files.map((file) => `${file.width}x${file.height}`)).size).toBe(3);
      expect(live.events).toHaveLength(1);

      // A retry with the same clientId is the first message; nothing is attached again.
      const again = expectNoErrors(await sendAlbum(alice, { chatId, attachments: ids.map((uploadId) => ({ uploadId })), clientId: 'album-1' })).sendAttachments;
      expect(again.id).toBe(sent.id);
      // Sent once: the same uploads cannot be sent again without the clientId.
      expectErrorCode(await sendAlbum(alice, { chatId, attachments: [{ uploadId: ids[1]! }] }), 'BAD_USER_INPUT');
      // The other member may fetch each of them.
      for (const id of ids) expect(expectNoErrors(await gql(a, UploadedFileDocument, { id }, as(bob))).file?.id).toBe(id);
    } finally {
      live.close();
    }
  });

  it('a page of albums costs the same statements whatever the number of albums on it', async () => {
    const group = await createGroup(a, alice, [bob], 'Albums');
    const photo = await phonePhoto('png', 16, 16);
    const sendAlbums = async (count: number) => {
      for (let i = 0; i < count; i += 1) {
        const ids = [await uploadResumable(a, alice.accessToken, photo), await uploadResumable(a, alice.accessToken, photo)];
        expectNoErrors(await sendAlbum(alice, { chatId: group, attachments: ids.map((uploadId) => ({ uploadId })) }));
      }
    };
    // Background work of the sends (notifications for Bob) finished: only the page is counted.
    const quiet = () => expect.poll(() => a.countStatements(() => new Promise((resolve) => setTimeout(resolve, 200))), { timeout: 10_000 }).toBe(0);
    const page = async () => {
      await quiet();
      return a.countStatements(async () => expectNoErrors(await gql(a, AlbumHistoryDocument, { chatId: group, first: 50 }, as(bob))), { runs: 3 });
    };
    await sendAlbums(1);
    const one = await page();
    await sendAlbums(4);
    const five = await page();
    expect(five).toBe(one);
    const history = expectNoErrors(await gql(a, AlbumHistoryDocument, { chatId: group, first: 50 }, as(bob))).messages.edges;
    expect(history.filter((edge) => edge.node.kind === 'IMAGE').every((edge) => edge.node.files.length === 2)).toBe(true);
  });

  it('wave-one messages: a multipart file is files = [file]; a text message has none', async () => {
    const data = await phonePhoto('png', 20, 20);
    const media = expectNoErrors(
      await gqlUpload(a, SendMediaMessageDocument, { input: { chatId, file: null } }, { 'input.file': { data, name: 'x.png' } }, as(alice)),
    ).sendMediaMessage;
    const history = expectNoErrors(await gql(a, AlbumHistoryDocument, { chatId, first: 1 }, as(bob))).messages.edges;
    expect(history[0]!.node).toMatchObject({ id: media.id, file: { id: media.file!.id } });
    expect(history[0]!.node.files.map((file) => file.id)).toEqual([media.file!.id]);
  });

  it('deleting an album for everyone removes every one of its files, rows and bytes', async () => {
    const photo = await phonePhoto('png', 16, 16);
    const ids = [await uploadResumable(a, alice.accessToken, photo), await uploadResumable(a, alice.accessToken, photo)];
    const sent = expectNoErrors(await sendAlbum(alice, { chatId, attachments: ids.map((uploadId) => ({ uploadId })) })).sendAttachments;
    const keys = (await a.database.prisma.file.findMany({ where: { id: { in: ids } } })).flatMap((file) => [file.storageKey, file.thumbnailKey!]);
    expectNoErrors(await gql(a, DeleteMessageDocument, { messageId: sent.id, forEveryone: true }, as(alice)));
    expect(await a.database.prisma.file.count({ where: { id: { in: ids } } })).toBe(0);
    for (const key of keys) expect(await exists(path.join(uploadDir, key))).toBe(false);
    const history = expectNoErrors(await gql(a, AlbumHistoryDocument, { chatId, first: 1 }, as(bob))).messages.edges;
    expect(history[0]!.node).toMatchObject({ id: sent.id, file: null, files: [] });
  });

  it('forwarding an album forwards all of its files, in order', async () => {
    const photo = await phonePhoto('png', 16, 16);
    const ids = [await uploadResumable(a, alice.accessToken, photo), await uploadResumable(a, alice.accessToken, Buffer.from('a note\n'))];
    const sent = expectNoErrors(await sendAlbum(alice, { chatId, attachments: ids.map((uploadId) => ({ uploadId })) })).sendAttachments;
    const elsewhere = await createGroup(a, alice, [stranger], 'Elsewhere');
    const [copy] = expectNoErrors(await gql(a, ForwardMessageDocument, { messageId: sent.id, toChatIds: [elsewhere] }, as(alice))).forwardMessage;
    const history = expectNoErrors(await gql(a, AlbumHistoryDocument, { chatId: elsewhere, first: 1 }, as(stranger))).messages.edges;
    expect(history[0]!.node.id).toBe(copy!.id);
    const files = history[0]!.node.files;
    expect(files).toHaveLength(2);
    expect(files.map((file) => file.id)).not.toEqual(ids);
    const rows = await a.database.prisma.file.findMany({ where: { id: { in: [...ids, ...files.map((file) => file.id)] } } });
    const byId = new Map(rows.map((row) => [row.id, row]));
    expect(files.map((file) => byId.get(file.id)!.storageKey)).toEqual(ids.map((id) => byId.get(id)!.storageKey));
  });

  it.each([
    ['a waveform of 300 values', { waveform: Array.from({ length: 300 }, () => 10) }, 'waveform'],
    ['a waveform value of 300', { waveform: [1, 2, 300] }, 'waveform'],
    ['a negative waveform value', { waveform: [-1] }, 'waveform'],
    ['a duration over 24 h', { durationMs: 24 * 3600_000 + 1 }, 'durationMs'],
    ['a negative duration', { durationMs: -1 }, 'durationMs'],
  ])('refuses %s with BAD_USER_INPUT', async (_, extra, field) => {
    const id = await uploadResumable(a, alice.accessToken, oggOpus(1200), 'voice.opus');
    const result = await sendAlbum(alice, { chatId, attachments: [{ uploadId: id, ...extra }] });
    expect(expectErrorCode(result, 'BAD_USER_INPUT').extensions?.['field']).toBe(field);
    // Nothing was attached: it can still be sent.
    expectNoErrors(await sendAlbum(alice, { chatId, attachments: [{ uploadId: id, waveform: [0, 255], durationMs: 1200 }] }));
  });

  it('refuses albums of no file, of more than 10, and the same upload twice', async () => {
    const id = await uploadResumable(a, alice.accessToken, Buffer.from('note\n'));
    expectErrorCode(await sendAlbum(alice, { chatId, attachments: [] }), 'BAD_USER_INPUT');
    expectErrorCode(await sendAlbum(alice, { chatId, attachments: Array.from({ length: 11 }, () => ({ uploadId: id })) }), 'BAD_USER_INPUT');
    expectErrorCode(await sendAlbum(alice, { chatId, attachments: [{ uploadId: id }, { uploadId: id }] }), 'BAD_USER_INPUT');
  });

  it('an unfinished upload is BAD_USER_INPUT; someone else’s, or an unknown id, NOT_FOUND; a stranger to the chat NOT_FOUND', async () => {
    const unfinished = await createUpload(a, bob.accessToken, 100);
    expectErrorCode(await sendAlbum(bob, { chatId, attachments: [{ uploadId: unfinished.id }] }), 'BAD_USER_INPUT');
    const bobs = await uploadResumable(a, bob.accessToken, Buffer.from('bob’s note\n'));
    expectErrorCode(await sendAlbum(alice, { chatId, attachments: [{ uploadId: bobs }] }), 'NOT_FOUND');
    expectErrorCode(await sendAlbum(alice, { chatId, attachments: [{ uploadId: '8f14e45f-ceea-467a-9af0-fd0a2b4a9c1e' }] }), 'NOT_FOUND');
    expectErrorCode(await sendAlbum(alice, { chatId, attachments: [{ uploadId: 'nope' }] }), 'NOT_FOUND');
    const strangers = await uploadResumable(a, stranger.accessToken, Buffer.from('stranger’s note\n'));
    expectErrorCode(await sendAlbum(stranger, { chatId, attachments: [{ uploadId: strangers }] }), 'NOT_FOUND');
    // A finished upload not sent yet is its owner's alone.
    expect(expectNoErrors(await gql(a, UploadedFileDocument, { id: bobs }, as(bob))).file?.id).toBe(bobs);
    expectErrorCode(await gql(a, UploadedFileDocument, { id: bobs }, as(alice)), 'NOT_FOUND');
    expect(await a.database.prisma.file.findUniqueOrThrow({ where: { id: bobs } })).toMatchObject({ chatId: null });
  });
});
