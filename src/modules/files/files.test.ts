import { openAsBlob } from 'node:fs';
import { readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { FileUpload } from 'graphql-upload-minimal';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../../config/env.js';
import { rateLimited } from '../../lib/errors.js';
import { createLogger } from '../../lib/logger.js';
import { LocalFileStore } from '../../media/file-store.js';
import { ImageProcessor } from '../../media/image.js';
import { UrlSigner } from '../../media/signed-urls.js';
import { TempDir } from '../../media/temp-file.js';
import { MessageLog } from '../messages/index.js';
import { createLoaders } from '../../server/services.js';
import { as, createUser, type TestUser } from '../../test/factories.js';
import { createPrivateChat } from '../../test/chats.js';
import {
  DeleteFileDocument,
  FileByIdDocument,
  MessageWithFileDocument,
  OnNewMediaMessageDocument,
  RemoveAvatarDocument,
  SendMediaMessageDocument,
  UploadAvatarDocument,
  UserAvatarDocument,
  type SendMediaMessageMutation,
} from '../../test/generated/graphql.js';
import {
  SECRET_EXIF,
  animatedGif,
  elfExecutable,
  jpegPhoto,
  minimalDocx,
  minimalPdf,
  phonePhoto,
  pngBomb,
  wavTone,
  windowsExecutable,
  writeMp4Like,
} from '../../test/media-fixtures.js';
import {
  LiveSubscription,
  expectErrorCode,
  expectNoErrors,
  gql,
  startTestServer,
  waitForListeners,
  wsClient,
  type GraphQLResponse,
  type TestServer,
} from '../../test/server.js';
import { cleanFileName } from './files.inputs.js';
import { FilesService } from './files.service.js';
import { gqlUpload, listFiles, withPeakRss, type UploadPart } from '../../test/uploads.js';
import { MessageTopic } from '../messages/index.js';

const MiB = 1024 * 1024;

let server: TestServer;
let alice: TestUser;
let bob: TestUser;
let stranger: TestUser;
let chatId: string;
let uploadDir: string;
let tempDir: string;
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  server = await startTestServer();
  uploadDir = path.join(server.dataDir, 'uploads');
  tempDir = path.join(uploadDir, '.tmp');
  [alice, bob, stranger] = await Promise.all([
    createUser(server, { displayName: 'Alice' }),
    createUser(server, { displayName: 'Bob' }),
    createUser(server, { displayName: 'Stranger' }),
  ]);
  chatId = await createPrivateChat(server, alice, bob);
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
  // Whatever a test did, success or refusal, no temporary file may stay behind.
  expect(await listFiles(tempDir)).toEqual([]);
});
afterAll(async () => {
  await server?.close();
});

function sendMedia(user: TestUser, file: UploadPart, input: { caption?: string; clientId?: string; replyToId?: string; chatId?: string } = {}) {
  return gqlUpload(server, SendMediaMessageDocument, { input: { chatId, file: null, ...input } }, { 'input.file': file }, as(user));
}

async function sent(result: GraphQLResponse<SendMediaMessageMutation>) {
  const message = expectNoErrors(result).sendMediaMessage;
  expect(message.file).not.toBeNull();
  return { message, file: message.file! };
}

/** Stored bytes (original and thumbnail) of a file, read from the database row. */
async function storedKeys(fileId: string): Promise<string[]> {
  const row = await server.database.prisma.file.findUniqueOrThrow({ where: { id: fileId } });
  return [row.storageKey, ...(row.thumbnailKey ? [row.thumbnailKey] : [])];
}

async function fetchBytes(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers });
  return { response, bytes: Buffer.from(await response.arrayBuffer()) };
}

describe('sendMediaMessage: images', () => {
  it('orients a phone photo by EXIF, strips every bit of metadata (GPS!), and makes a smaller webp thumbnail', async () => {
    const png = await phonePhoto('png', 800, 400); // stored sideways: displayed 400 wide, 800 tall
    expect((await sharp(png).metadata()).exif?.toString('latin1')).toContain(SECRET_EXIF.make);
    const { message, file } = await sent(await sendMedia(alice, { data: png, name: 'IMG_0001.png', type: 'image/png' }, { caption: '  At the beach  ' }));
    expect(message).toMatchObject({ kind: 'IMAGE', text: 'At the beach', senderId: alice.user.id });
    expect(file).toMatchObject({ kind: 'IMAGE', mimeType: 'image/png', originalName: 'IMG_0001.png', width: 400, height: 800 });

    const { response, bytes } = await fetchBytes(file.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(bytes.length).toBe(file.size);
    const meta = await sharp(bytes).metadata();
    expect(meta).toMatchObject({ format: 'png', width: 400, height: 800 });
    expect(meta.exif).toBeUndefined();
    expect(meta.orientation).toBeUndefined();
    expect(meta.xmp).toBeUndefined();
    expect(bytes.includes(Buffer.from(SECRET_EXIF.make))).toBe(false);
    expect(bytes.includes(Buffer.from('GPS'))).toBe(false);
    // The pixels were turned clockwise, not just relabelled: the dark end of the band drawn across
    // the sideways original is now at the top of a band running down the picture.
    const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
    const pixel = (x: number, y: number) => [...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3)];
    expect(pixel(10, 50)).toEqual([200, 80, 40]);
    expect(pixel(200, 50).every((c) => c < 80)).toBe(true);
    expect(pixel(200, 750).every((c) => c > 100)).toBe(true);
    const stored = await readFile(path.join(uploadDir, (await storedKeys(file.id))[0]!));
    expect(stored.equals(bytes)).toBe(true);

    const thumb = await fetchBytes(file.thumbnailUrl!);
    expect(thumb.response.headers.get('content-type')).toBe('image/webp');
    const thumbMeta = await sharp(thumb.bytes).metadata();
    expect(thumbMeta).toMatchObject({ format: 'webp', width: 160, height: 320 });
    expect(thumbMeta.exif).toBeUndefined();
    expect(thumb.bytes.length).toBeLessThan(bytes.length);
  });

  it('scales a 12-megapixel JPEG down to 2560 px on the long side', async () => {
    // How long it takes is measured by `npm run bench` (media), against the server as deployed.
    const jpeg = await jpegPhoto(4000, 3000);
    const { file } = await sent(await sendMedia(alice, { data: jpeg, name: 'big.jpg' }));
    expect(file).toMatchObject({ kind: 'IMAGE', mimeType: 'image/jpeg', width: 2560, height: 1920 });
    const { bytes } = await fetchBytes(file.url);
    expect(await sharp(bytes).metadata()).toMatchObject({ format: 'jpeg', width: 2560, height: 1920 });
    const thumb = await sharp((await fetchBytes(file.thumbnailUrl!)).bytes).metadata();
    expect(thumb).toMatchObject({ format: 'webp', width: 320, height: 240 });
  });

  it('keeps a GIF animated', async () => {
    const { file } = await sent(await sendMedia(alice, { data: await animatedGif(4, 60, 40), name: 'dance.gif' }));
    expect(file).toMatchObject({ kind: 'IMAGE', mimeType: 'image/gif', width: 60, height: 40 });
    const meta = await sharp((await fetchBytes(file.url)).bytes, { animated: true }).metadata();
    expect(meta).toMatchObject({ format: 'gif', pages: 4, pageHeight: 40 });
    // The thumbnail is the first frame, still.
    expect((await sharp((await fetchBytes(file.thumbnailUrl!)).bytes, { animated: true }).metadata()).pages ?? 1).toBe(1);
  });

  it('refuses a 16000×16000 image from its header, without decoding it', async () => {
    const bomb = pngBomb(16_000);
    expect(bomb.length).toBeLessThan(100_000);
    const { result, peakGrowth } = await withPeakRss(() => sendMedia(alice, { data: bomb, name: 'huge.png' }));
    expect(expectErrorCode(result, 'PAYLOAD_TOO_LARGE').message).toMatch(/16000×16000 \(256 megapixels\); at most 50 megapixels/);
    // Decoding it would take ~1 GB; refusing it must not come close.
    expect(peakGrowth).toBeLessThan(64 * MiB);
    expect(await server.database.prisma.file.count({ where: { originalName: 'huge.png' } })).toBe(0);
  });
});

describe('sendMediaMessage: other files', () => {
  it('takes a PDF as a DOCUMENT, served only as an attachment', async () => {
    const pdf = minimalPdf();
    const { message, file } = await sent(await sendMedia(alice, { data: pdf, name: 'report.pdf', type: 'text/html' }));
    expect(message).toMatchObject({ kind: 'DOCUMENT', text: null });
    expect(file).toMatchObject({ kind: 'DOCUMENT', mimeType: 'application/pdf', size: pdf.length, width: null, height: null, thumbnailUrl: null });
    const { response, bytes } = await fetchBytes(file.url);
    expect(bytes.equals(pdf)).toBe(true);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`);
  });

  it('takes a .docx', async () => {
    const { file } = await sent(await sendMedia(alice, { data: minimalDocx(), name: 'cv.docx' }));
    expect(file).toMatchObject({ kind: 'DOCUMENT', mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' });
  });

  it('takes UTF-8 text as a text/plain DOCUMENT, even named .png, and names the download for what it is', async () => {
    const text = Buffer.from('Shopping list:\n- milk\n- نان\n- 🍎\n', 'utf8');
    const txt = await sent(await sendMedia(alice, { data: text, name: 'list.txt' }));
    expect(txt.file).toMatchObject({ kind: 'DOCUMENT', mimeType: 'text/plain', size: text.length });
    const disguised = await sent(await sendMedia(alice, { data: Buffer.from('<html><script>alert(1)</script></html>'), name: 'cat.png', type: 'image/png' }));
    expect(disguised.message.kind).toBe('DOCUMENT');
    expect(disguised.file).toMatchObject({ kind: 'DOCUMENT', mimeType: 'text/plain', originalName: 'cat.png', thumbnailUrl: null });
    const { response } = await fetchBytes(disguised.file.url);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="cat\.png\.txt"/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('takes a WAV as AUDIO and serves byte ranges for scrubbing', async () => {
    const wav = wavTone(1);
    const { message, file } = await sent(await sendMedia(alice, { data: wav, name: 'voice.wav' }));
    expect(message.kind).toBe('AUDIO');
    expect(file).toMatchObject({ kind: 'AUDIO', mimeType: 'audio/wav', size: wav.length });

    const full = await fetchBytes(file.url);
    expect(full.response.status).toBe(200);
    expect(full.response.headers.get('accept-ranges')).toBe('bytes');
    expect(full.response.headers.get('content-length')).toBe(String(wav.length));
    expect(full.response.headers.get('etag')).toMatch(/^"[0-9a-f]{64}"$/);
    expect(full.response.headers.get('cache-control')).toMatch(/^private, max-age=\d+/);
    expect(full.response.headers.get('x-content-type-options')).toBe('nosniff');
    // Embeddable from the client app's own origin (<img>, <audio>), which is not ours.
    expect(full.response.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(full.response.headers.get('content-disposition')).toMatch(/^inline; /);

    const middle = await fetchBytes(file.url, { range: 'bytes=100-1099' });
    expect(middle.response.status).toBe(206);
    expect(middle.response.headers.get('content-range')).toBe(`bytes 100-1099/${wav.length}`);
    expect(middle.response.headers.get('content-length')).toBe('1000');
    expect(middle.bytes.equals(wav.subarray(100, 1100))).toBe(true);

    const open = await fetchBytes(file.url, { range: `bytes=${wav.length - 10}-` });
    expect(open.response.status).toBe(206);
    expect(open.bytes.equals(wav.subarray(wav.length - 10))).toBe(true);
    const suffix = await fetchBytes(file.url, { range: 'bytes=-44' });
    expect(suffix.response.headers.get('content-range')).toBe(`bytes ${wav.length - 44}-${wav.length - 1}/${wav.length}`);
    expect(suffix.bytes.equals(wav.subarray(wav.length - 44))).toBe(true);

    for (const range of [`bytes=${wav.length}-`, 'bytes=500-100', 'bytes=abc', 'bytes=-0']) {
      const refused = await fetchBytes(file.url, { range });
      expect(refused.response.status, range).toBe(416);
      expect(refused.response.headers.get('content-range')).toBe(`bytes */${wav.length}`);
    }
    // Several ranges at once are answered with the whole file (RFC 9110 allows it).
    expect((await fetchBytes(file.url, { range: 'bytes=0-1,5-6' })).response.status).toBe(200);

    const etag = full.response.headers.get('etag')!;
    expect((await fetch(file.url, { headers: { 'if-none-match': etag } })).status).toBe(304);
    const stale = await fetchBytes(file.url, { range: 'bytes=0-9', 'if-range': '"something-else"' });
    expect(stale.response.status).toBe(200);
  });

  it('refuses executables whatever they are called, and unknown binary data', async () => {
    const before = await listFiles(uploadDir);
    for (const [data, name] of [
      [elfExecutable(), 'invoice.pdf'],
      [windowsExecutable(), 'invoice.pdf'],
      [Buffer.from([0x00, 0x01, 0x02, 0xff, 0xfe, 0x10, 0x00, 0x00]), 'notes.txt'],
      [Buffer.from('caf\xe9 latin-1 is not UTF-8', 'latin1'), 'notes.txt'],
    ] as const) {
      const result = await sendMedia(alice, { data, name, type: 'application/pdf' });
      expect(expectErrorCode(result, 'UNSUPPORTED_MEDIA_TYPE').message, name).toMatch(/not accepted/);
    }
    expect(expectErrorCode(await sendMedia(alice, { data: new Uint8Array(0), name: 'empty.txt' }), 'BAD_USER_INPUT').message).toMatch(/empty/);
    expect(await listFiles(uploadDir)).toEqual(before);
  });
});

describe('sendMediaMessage: rules', () => {
  it('refuses a multipart request without a preflight header (CSRF), before reading it', async () => {
    const before = await server.database.prisma.message.count();
    const result = await gqlUpload(
      server,
      SendMediaMessageDocument,
      { input: { chatId, file: null } },
      { 'input.file': { data: minimalPdf(), name: 'a.pdf' } },
      { ...as(alice), preflight: false },
    );
    expect(result.status).toBe(400);
    expect(result.errors?.[0]?.message).toMatch(/CSRF/);
    expect(await server.database.prisma.message.count()).toBe(before);
    // x-apollo-operation-name is the other header Apollo accepts.
    const named = await gqlUpload(
      server,
      SendMediaMessageDocument,
      { input: { chatId, file: null } },
      { 'input.file': { data: minimalPdf(), name: 'a.pdf' } },
      {
        ...as(alice),
        preflight: false,
        headers: { 'x-apollo-operation-name': 'SendMediaMessage' },
      },
    );
    expectNoErrors(named);
  });

  it('refuses a stranger to the chat before storing anything, and a file sent as JSON', async () => {
    const before = await listFiles(uploadDir);
    const big = new Uint8Array(20 * MiB);
    big.set(await phonePhoto('png', 64, 64));
    expectErrorCode(await sendMedia(stranger, { data: big, name: 'x.png' }), 'NOT_FOUND');
    expectErrorCode(await sendMedia(alice, { data: minimalPdf(), name: 'x.pdf' }, { chatId: '00000000-0000-4000-8000-000000000000' }), 'NOT_FOUND');
    expect(await listFiles(uploadDir)).toEqual(before);
    // The connection the refused upload came in on still works.
    expectNoErrors(await sendMedia(alice, { data: minimalPdf(), name: 'after.pdf' }));
    const json = await gql(server, SendMediaMessageDocument, { input: { chatId, file: 'not a file' as unknown as File } }, as(alice));
    expectErrorCode(json, 'BAD_USER_INPUT');
    expectErrorCode(await sendMedia(alice, { data: minimalPdf(), name: 'x.pdf' }, { caption: 'bad \u0007 bell' }), 'BAD_USER_INPUT');
  });

  it('is idempotent with clientId: a retry returns the first message and stores nothing more, even racing', async () => {
    const png = await phonePhoto('png', 120, 80);
    const first = await sent(await sendMedia(alice, { data: png, name: 'a.png' }, { clientId: 'media-retry-1', caption: 'once' }));
    const filesAfterFirst = await listFiles(uploadDir);
    const retry = await sent(await sendMedia(alice, { data: png, name: 'a.png' }, { clientId: 'media-retry-1', caption: 'once' }));
    expect(retry.message.id).toBe(first.message.id);
    expect(retry.file.id).toBe(first.file.id);
    expect(await listFiles(uploadDir)).toEqual(filesAfterFirst);

    const racing = await Promise.all([1, 2, 3].map(() => sendMedia(alice, { data: png, name: 'race.png' }, { clientId: 'media-race' })));
    const ids = new Set(racing.map((r) => expectNoErrors(r).sendMediaMessage.id));
    expect(ids.size).toBe(1);
    expect(await server.database.prisma.message.count({ where: { clientId: 'media-race' } })).toBe(1);
    expect(await server.database.prisma.file.count({ where: { originalName: 'race.png' } })).toBe(1);
    // One image and its thumbnail: the losers' bytes were removed.
    expect((await listFiles(uploadDir)).length).toBe(filesAfterFirst.length + 2);
    expectErrorCode(await sendMedia(bob, { data: png, name: 'b.png' }, { clientId: 'x'.repeat(65) }), 'BAD_USER_INPUT');
  });

  it('answers a message of the same chat, and no other', async () => {
    const { message } = await sent(await sendMedia(bob, { data: minimalPdf(), name: 'q.pdf' }, { caption: 'question' }));
    const reply = await sent(await sendMedia(alice, { data: wavTone(0.1), name: 'a.wav' }, { replyToId: message.id }));
    expect((await server.database.prisma.message.findUniqueOrThrow({ where: { id: reply.message.id } })).replyToId).toBe(message.id);
    const elsewhere = await createPrivateChat(server, alice, stranger);
    const there = await sent(await sendMedia(alice, { data: minimalPdf(), name: 'x.pdf' }, { chatId: elsewhere }));
    expect(
      expectErrorCode(await sendMedia(alice, { data: minimalPdf(), name: 'x.pdf' }, { replyToId: there.message.id }), 'BAD_USER_INPUT').extensions?.['field'],
    ).toBe('replyToId');
  });

  it('reaches the other member live, with a file they can fetch', async () => {
    const client = wsClient(server, bob.accessToken);
    cleanups.push(() => client.dispose());
    const inbox = new LiveSubscription(client, OnNewMediaMessageDocument, { chatId });
    await waitForListeners(server, MessageTopic.NewMessage, bob.user.id);
    const { message, file } = await sent(await sendMedia(alice, { data: wavTone(0.5), name: 'hello.wav' }, { caption: 'listen' }));
    const [event] = await inbox.waitFor(1);
    expect(event!.newMessage).toMatchObject({ id: message.id, kind: 'AUDIO', text: 'listen', file: { id: file.id, kind: 'AUDIO', mimeType: 'audio/wav' } });
    expect(message.status).toBe('SENT');
    const { response } = await fetchBytes(event!.newMessage.file!.url);
    expect(response.status).toBe(200);
  });
});

describe('file(id) and signed URLs', () => {
  let file: NonNullable<SendMediaMessageMutation['sendMediaMessage']['file']>;
  beforeAll(async () => {
    file = (await sent(await sendMedia(alice, { data: await phonePhoto('jpeg', 300, 200), name: 'shared.jpg' }))).file;
  });

  it('shows the file to members of its chat and to nobody else', async () => {
    const seen = expectNoErrors(await gql(server, FileByIdDocument, { id: file.id }, as(bob))).file!;
    expect(seen).toMatchObject({ id: file.id, kind: 'IMAGE', mimeType: 'image/jpeg' });
    expect(seen.url).toMatch(new RegExp(`^${server.url}/files/${file.id}\\?exp=\\d+&sig=[\\w-]{43}$`));
    expectErrorCode(await gql(server, FileByIdDocument, { id: file.id }, as(stranger)), 'NOT_FOUND');
    expectErrorCode(await gql(server, FileByIdDocument, { id: '00000000-0000-4000-8000-000000000000' }, as(bob)), 'NOT_FOUND');
    expectErrorCode(await gql(server, FileByIdDocument, { id: 'nope' }, as(bob)), 'NOT_FOUND');
    expectErrorCode(await gql(server, FileByIdDocument, { id: file.id }), 'UNAUTHENTICATED');
  });

  it('answers 403 to a missing, forged, altered or expired signature, and 404 to an unknown file', async () => {
    const url = new URL(file.url);
    const sig = url.searchParams.get('sig')!;
    const exp = Number(url.searchParams.get('exp'));
    const status = async (href: string) => (await fetch(href)).status;
    expect(await status(file.url)).toBe(200);
    expect(await status(`${server.url}/files/${file.id}`)).toBe(403);
    expect(await status(`${server.url}/files/${file.id}?exp=${exp}&sig=${sig.slice(0, -2)}${sig.endsWith('AA') ? 'BB' : 'AA'}`)).toBe(403);
    expect(await status(`${server.url}/files/${file.id}?exp=${exp + 3600}&sig=${sig}`)).toBe(403);
    // The original's signature does not open the thumbnail, nor another file.
    expect(await status(`${server.url}/files/${file.id}/thumbnail?exp=${exp}&sig=${sig}`)).toBe(403);
    const other = (await sent(await sendMedia(alice, { data: minimalPdf(), name: 'o.pdf' }))).file;
    expect(await status(`${server.url}/files/${other.id}?exp=${exp}&sig=${sig}`)).toBe(403);

    const secret = (await readFile(path.join(server.dataDir, 'file-url-secret'), 'utf8')).trim();
    const past = new UrlSigner({ secret, now: () => Date.now() - 3 * 3600_000 });
    expect(await status(`${server.url}${past.path(file.id, 'original')}`)).toBe(403);
    const signer = new UrlSigner({ secret });
    expect(await status(`${server.url}${signer.path(file.id, 'original')}`)).toBe(200);
    expect(await status(`${server.url}${signer.path('00000000-0000-4000-8000-000000000000', 'original')}`)).toBe(404);
    expect(await status(`${server.url}${signer.path(other.id, 'thumbnail')}`)).toBe(404);
  });
});

describe('deleteFile', () => {
  it('is for the uploader: the bytes go, the message stays with no file', async () => {
    const { message, file } = await sent(await sendMedia(alice, { data: await phonePhoto('png', 90, 60), name: 'gone.png' }, { caption: 'soon gone' }));
    const keys = await storedKeys(file.id);
    expectErrorCode(await gql(server, DeleteFileDocument, { id: file.id }, as(bob)), 'FORBIDDEN');
    expectErrorCode(await gql(server, DeleteFileDocument, { id: file.id }, as(stranger)), 'NOT_FOUND');
    expect(expectNoErrors(await gql(server, DeleteFileDocument, { id: file.id }, as(alice))).deleteFile).toBe(true);

    for (const key of keys) await expect(stat(path.join(uploadDir, key))).rejects.toMatchObject({ code: 'ENOENT' });
    const [latest] = expectNoErrors(await gql(server, MessageWithFileDocument, { chatId }, as(bob))).messages.edges;
    expect(latest!.node).toMatchObject({ id: message.id, kind: 'IMAGE', text: 'soon gone', file: null });
    expect((await fetch(file.url)).status).toBe(404);
    expectErrorCode(await gql(server, FileByIdDocument, { id: file.id }, as(alice)), 'NOT_FOUND');
    expectErrorCode(await gql(server, DeleteFileDocument, { id: file.id }, as(alice)), 'NOT_FOUND');
  });
});

describe('avatars', () => {
  const avatarOf = async (user: TestUser, viewer: TestUser) =>
    expectNoErrors(await gql(server, UserAvatarDocument, { id: user.user.id }, as(viewer))).user!.avatar;

  it('crops a square 512 px webp, shown to everyone; replacing or removing it removes the old bytes', async () => {
    const uploaded = expectNoErrors(
      await gqlUpload(server, UploadAvatarDocument, { file: null }, { file: { data: await phonePhoto('jpeg', 900, 600), name: 'me.jpg' } }, as(bob)),
    ).uploadAvatar.avatar!;
    expect(uploaded).toMatchObject({ kind: 'IMAGE', mimeType: 'image/webp', width: 512, height: 512, originalName: 'me.jpg' });
    const seen = (await avatarOf(bob, stranger))!;
    expect(seen.id).toBe(uploaded.id);
    const { bytes } = await fetchBytes(seen.url);
    const meta = await sharp(bytes).metadata();
    expect(meta).toMatchObject({ format: 'webp', width: 512, height: 512 });
    expect(meta.exif).toBeUndefined();
    expect(await sharp((await fetchBytes(seen.thumbnailUrl!)).bytes).metadata()).toMatchObject({ width: 128, height: 128 });
    expectErrorCode(await gql(server, DeleteFileDocument, { id: uploaded.id }, as(stranger)), 'FORBIDDEN');

    const firstKeys = await storedKeys(uploaded.id);
    const replaced = expectNoErrors(
      await gqlUpload(server, UploadAvatarDocument, { file: null }, { file: { data: await animatedGif(3, 200, 100), name: 'anim.gif' } }, as(bob)),
    ).uploadAvatar.avatar!;
    // Animated pictures become a still of their first frame; a small one is not enlarged.
    expect(replaced).toMatchObject({ mimeType: 'image/webp', width: 100, height: 100 });
    for (const key of firstKeys) await expect(stat(path.join(uploadDir, key))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await server.database.prisma.file.count({ where: { id: uploaded.id } })).toBe(0);

    const secondKeys = await storedKeys(replaced.id);
    expect(expectNoErrors(await gql(server, RemoveAvatarDocument, {}, as(bob))).removeAvatar.avatar).toBeNull();
    for (const key of secondKeys) await expect(stat(path.join(uploadDir, key))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await avatarOf(bob, alice)).toBeNull();
    expect(expectNoErrors(await gql(server, RemoveAvatarDocument, {}, as(bob))).removeAvatar.avatar).toBeNull();
  });

  it('takes images only, up to 5 MiB and 50 megapixels', async () => {
    const before = await listFiles(uploadDir);
    const upload = (data: Uint8Array, name: string) => gqlUpload(server, UploadAvatarDocument, { file: null }, { file: { data, name } }, as(alice));
    expect(expectErrorCode(await upload(minimalPdf(), 'me.png'), 'UNSUPPORTED_MEDIA_TYPE').message).toMatch(/JPEG, PNG, GIF or WebP/);
    const sixMiB = new Uint8Array(6 * MiB);
    sixMiB.set(await phonePhoto('png', 64, 64));
    expect(expectErrorCode(await upload(sixMiB, 'big.png'), 'PAYLOAD_TOO_LARGE').message).toMatch(/larger than 5 MiB/);
    expectErrorCode(await upload(pngBomb(16_000), 'bomb.png'), 'PAYLOAD_TOO_LARGE');
    expect(await listFiles(uploadDir)).toEqual(before);
    expect(await avatarOf(alice, bob)).toBeNull();
  });
});

describe('large uploads', () => {
  // Streamed from disk by fetch. Throughput and the server's memory while it streams (flat: it writes to disk as
  // the bytes come) are measured by `npm run bench` (media), against the server as deployed.
  const sendFromDisk = async (file: string, name: string) =>
    gqlUpload(server, SendMediaMessageDocument, { input: { chatId, file: null } }, { 'input.file': { data: await openAsBlob(file), name } }, as(alice));

  it('takes a 100 MB video and serves its end by range; refuses one byte over 100 MiB and keeps nothing', async () => {
    const source = path.join(server.dataDir, 'big.mp4');
    await writeMp4Like(source, 100_000_000);
    cleanups.push(() => rm(source, { force: true }));
    const { file } = await sent(await sendFromDisk(source, 'big.mp4'));
    expect(file).toMatchObject({ kind: 'VIDEO', mimeType: 'video/mp4', size: 100_000_000, thumbnailUrl: null });
    expect((await stat(path.join(uploadDir, (await storedKeys(file.id))[0]!))).size).toBe(100_000_000);
    const tail = await fetchBytes(file.url, { range: 'bytes=99999990-' });
    expect(tail.response.status).toBe(206);
    expect(tail.bytes.equals(Buffer.alloc(10, 0x5a))).toBe(true);
    expectNoErrors(await gql(server, DeleteFileDocument, { id: file.id }, as(alice)));

    const over = path.join(server.dataDir, 'over.mp4');
    await writeMp4Like(over, 100 * MiB + 1);
    cleanups.push(() => rm(over, { force: true }));
    const before = await listFiles(uploadDir);
    expect(expectErrorCode(await sendFromDisk(over, 'over.mp4'), 'PAYLOAD_TOO_LARGE').message).toMatch(/larger than 100 MiB/);
    expect(await listFiles(uploadDir)).toEqual(before);
  });
});

describe('configuration and hooks', () => {
  it('builds URLs on PUBLIC_URL and signs them with FILE_URL_SECRET when set', async () => {
    const secret = 'another-file-url-secret-of-32-bytes-or-more';
    const other = await startTestServer({ PUBLIC_URL: 'https://media.example.com/', FILE_URL_SECRET: secret });
    try {
      const [a, b] = await Promise.all([createUser(other), createUser(other)]);
      const chat = await createPrivateChat(other, a, b);
      const result = await gqlUpload(
        other,
        SendMediaMessageDocument,
        { input: { chatId: chat, file: null } },
        { 'input.file': { data: minimalPdf(), name: 'p.pdf' } },
        as(a),
      );
      const url = new URL(expectNoErrors(result).sendMediaMessage.file!.url);
      expect(url.origin).toBe('https://media.example.com');
      const signer = new UrlSigner({ secret });
      expect(signer.verify(url.pathname.split('/')[2]!, 'original', url.searchParams.get('exp'), url.searchParams.get('sig'))).toBe('valid');
      expect((await fetch(`${other.url}${url.pathname}${url.search}`)).status).toBe(200);
      await expect(stat(path.join(other.dataDir, 'file-url-secret'))).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await other.close();
    }
  });

  it('asks the upload limiter before reading a file', async () => {
    const { prisma } = server.database;
    const limited = new FilesService(prisma, new MessageLog(prisma, server.database.sql, server.pubsub), createLogger(parseEnv({ LOG_LEVEL: 'silent' })), {
      store: new LocalFileStore(uploadDir),
      signer: new UrlSigner({ secret: 'x'.repeat(32) }),
      temp: new TempDir(tempDir),
      uploadLimiter: {
        async consume(userId) {
          expect(userId).toBe(alice.user.id);
          throw rateLimited(42);
        },
      },
    });
    const viewer = { id: alice.user.id, role: 'USER' as const, sessionId: 'test' };
    // Never resolves: had the service waited for the file, the test would time out.
    const neverArrives = new Promise<never>(() => undefined);
    await expect(limited.uploadAvatar(viewer, neverArrives)).rejects.toMatchObject({ extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 42 } });
    await expect(
      limited.sendMediaMessage(viewer, createLoaders({ prisma, sql: server.database.sql }, server.services), { chatId, file: neverArrives }),
    ).rejects.toMatchObject({
      extensions: { code: 'RATE_LIMITED' },
    });
  });
});

describe('image processing limits', () => {
  it('refuses a GIF over 300 frames with PAYLOAD_TOO_LARGE, storing nothing, and keeps one of 300 animated', async () => {
    const before = await listFiles(uploadDir);
    const started = performance.now();
    const refused = await sendMedia(alice, { data: await animatedGif(2_000, 8, 8), name: 'long.gif' });
    const ms = performance.now() - started;
    expect(expectErrorCode(refused, 'PAYLOAD_TOO_LARGE').message).toBe('The animation has 2000 frames; at most 300 frames are accepted');
    expect(ms).toBeLessThan(2000);
    expect(await listFiles(uploadDir)).toEqual(before);
    expect(await server.database.prisma.file.count({ where: { originalName: 'long.gif' } })).toBe(0);

    const { file } = await sent(await sendMedia(alice, { data: await animatedGif(300, 8, 8), name: 'ok.gif' }));
    expect(await sharp((await fetchBytes(file.url)).bytes, { animated: true }).metadata()).toMatchObject({ format: 'gif', pages: 300 });
  });

  it('queues image jobs by uploader: the service names the viewer as the owner of each one', async () => {
    const owners: string[] = [];
    class RecordingImages extends ImageProcessor {
      override process(...args: Parameters<ImageProcessor['process']>) {
        owners.push(`process ${args[3]}`);
        return super.process(...args);
      }
      override avatar(...args: Parameters<ImageProcessor['avatar']>) {
        owners.push(`avatar ${args[3]}`);
        return super.avatar(...args);
      }
    }
    const { prisma } = server.database;
    const files = new FilesService(prisma, new MessageLog(prisma, server.database.sql, server.pubsub), createLogger(parseEnv({ LOG_LEVEL: 'silent' })), {
      store: new LocalFileStore(uploadDir),
      signer: new UrlSigner({ secret: 'x'.repeat(32) }),
      temp: new TempDir(tempDir),
      images: new RecordingImages(),
    });
    const png = await phonePhoto('png', 64, 64);
    const upload = (): Promise<FileUpload> =>
      Promise.resolve({
        filename: 'p.png',
        mimetype: 'image/png',
        encoding: '7bit',
        fieldName: 'file',
        createReadStream: () => Readable.from([png]),
      } as unknown as FileUpload);
    const viewer = { id: bob.user.id, role: 'USER' as const, sessionId: 'test' };
    await files.sendMediaMessage(viewer, createLoaders({ prisma, sql: server.database.sql }, server.services), { chatId, file: upload() });
    await files.uploadAvatar(viewer, upload());
    await files.removeAvatar(viewer);
    expect(owners).toEqual([`process ${bob.user.id}`, `avatar ${bob.user.id}`]);
  });
});

describe('storage quota (USER_STORAGE_QUOTA)', () => {
  const QUOTA = 1_000_000;
  const StorageDocument = 'query Storage { me { storageUsed storageQuota } }';
  const UserStorageDocument = 'query UserStorage($id: ID!) { user(id: $id) { storageUsed storageQuota } }';
  type Storage = { storageUsed: number | null; storageQuota: number | null };
  let quotaServer: TestServer;
  let quotaUploads: string;

  beforeAll(async () => {
    quotaServer = await startTestServer({ USER_STORAGE_QUOTA: String(QUOTA) });
    quotaUploads = path.join(quotaServer.dataDir, 'uploads');
  });
  afterEach(async () => {
    expect(await listFiles(path.join(quotaUploads, '.tmp'))).toEqual([]);
  });
  afterAll(async () => {
    await quotaServer?.close();
  });

  /** A user with a chat of their own to send into. */
  async function uploader() {
    const [user, other] = await Promise.all([createUser(quotaServer), createUser(quotaServer)]);
    const chat = await createPrivateChat(quotaServer, user, other);
    const send = (data: Uint8Array, name: string) =>
      gqlUpload(quotaServer, SendMediaMessageDocument, { input: { chatId: chat, file: null } }, { 'input.file': { data, name } }, as(user));
    const storage = async (viewer: TestUser = user) =>
      expectNoErrors(await gql<{ me: Storage }, undefined>(quotaServer, StorageDocument, undefined, as(viewer))).me;
    return { user, other, send, storage };
  }
  const text = (bytes: number) => Buffer.alloc(bytes, 'a');
  const rowsNamed = (originalName: string) => quotaServer.database.prisma.file.count({ where: { originalName } });
  const usedUp = (used: number, needs?: string) =>
    `Storage quota of ${QUOTA} bytes used up: ${used} bytes are stored${needs ? ` and this file needs ${needs}` : ''}; delete some files to make room`;

  it('counts what a user stores and refuses the upload that would pass the quota, keeping nothing of it', async () => {
    const { user, other, send, storage } = await uploader();
    expect(await storage()).toEqual({ storageUsed: 0, storageQuota: QUOTA });
    expectNoErrors(await send(text(600_000), 'first.txt'));
    expect(await storage()).toEqual({ storageUsed: 600_000, storageQuota: QUOTA });

    // Refused while it streams in: it is larger than the room left.
    const before = await listFiles(quotaUploads);
    const over = await send(text(500_000), 'over.txt');
    expect(expectErrorCode(over, 'PAYLOAD_TOO_LARGE').message).toBe(usedUp(600_000, 'more than the 400000 bytes left'));
    expect(await rowsNamed('over.txt')).toBe(0);
    expect(await listFiles(quotaUploads)).toEqual(before);

    // Exactly the room left fits; then nothing does, refused before a byte is read.
    const last = expectNoErrors(await send(text(400_000), 'last.txt')).sendMediaMessage.file!;
    expect(await storage()).toEqual({ storageUsed: QUOTA, storageQuota: QUOTA });
    expect(expectErrorCode(await send(text(1), 'one.txt'), 'PAYLOAD_TOO_LARGE').message).toBe(usedUp(QUOTA));
    expect(await rowsNamed('one.txt')).toBe(0);

    // Others see neither figure; their own are theirs.
    const seen = expectNoErrors(await gql<{ user: Storage | null }, { id: string }>(quotaServer, UserStorageDocument, { id: user.user.id }, as(other))).user;
    expect(seen).toEqual({ storageUsed: null, storageQuota: null });
    expect(await storage(other)).toEqual({ storageUsed: 0, storageQuota: QUOTA });

    // Deleting makes room again.
    expectNoErrors(await gql(quotaServer, DeleteFileDocument, { id: last.id }, as(user)));
    expect(await storage()).toEqual({ storageUsed: 600_000, storageQuota: QUOTA });
    expectNoErrors(await send(text(1), 'one.txt'));
  });

  it('checks again before committing: an image that grows past the room left when re-encoded is refused and its stored bytes removed', async () => {
    // Saved at quality 5, stored at 82 (plus a thumbnail): more bytes are stored than were sent.
    const jpeg = await sharp(await jpegPhoto(800, 600))
      .jpeg({ quality: 5 })
      .toBuffer();
    const probe = await uploader();
    const probeFile = expectNoErrors(await probe.send(jpeg, 'probe.jpg')).sendMediaMessage.file!;
    const row = await quotaServer.database.prisma.file.findUniqueOrThrow({ where: { id: probeFile.id } });
    const stored = row.size + row.thumbnailSize!;
    expect(stored).toBeGreaterThan(jpeg.length);
    expect((await probe.storage()).storageUsed).toBe(stored);

    const { send, storage } = await uploader();
    const room = Math.floor((jpeg.length + stored) / 2); // the upload fits as it streams; what it becomes does not
    expectNoErrors(await send(text(QUOTA - room), 'filler.txt'));
    const before = await listFiles(quotaUploads);
    const refused = await send(jpeg, 'grows.jpg');
    expect(expectErrorCode(refused, 'PAYLOAD_TOO_LARGE').message).toBe(usedUp(QUOTA - room, `${stored} bytes`));
    expect(await rowsNamed('grows.jpg')).toBe(0);
    expect(await listFiles(quotaUploads)).toEqual(before);
    expect((await storage()).storageUsed).toBe(QUOTA - room);
  });

  it('lets only one of two racing uploads into the room left', async () => {
    const { user, send, storage } = await uploader();
    const before = await listFiles(quotaUploads);
    const results = await Promise.all([send(text(600_000), 'race-a.txt'), send(text(600_000), 'race-b.txt')]);
    const codes = results.map((r) => r.errors?.[0]?.extensions?.['code'] ?? 'OK').sort();
    expect(codes).toEqual(['OK', 'PAYLOAD_TOO_LARGE']);
    expect(await storage()).toEqual({ storageUsed: 600_000, storageQuota: QUOTA });
    expect(await quotaServer.database.prisma.file.count({ where: { ownerId: user.user.id } })).toBe(1);
    expect((await listFiles(quotaUploads)).length).toBe(before.length + 1);
  });

  it('counts the avatar, and not the one being replaced', async () => {
    const { user, send, storage } = await uploader();
    const avatar = (data: Uint8Array) => gqlUpload(quotaServer, UploadAvatarDocument, { file: null }, { file: { data, name: 'me.jpg' } }, as(user));
    const photo = await sharp(await jpegPhoto(900, 600))
      .jpeg({ quality: 5 })
      .toBuffer();
    const first = expectNoErrors(await avatar(photo)).uploadAvatar.avatar!;
    const row = await quotaServer.database.prisma.file.findUniqueOrThrow({ where: { id: first.id } });
    const size = row.size + row.thumbnailSize!;
    expect(await storage()).toEqual({ storageUsed: size, storageQuota: QUOTA });

    // Full but for less than a second avatar: replacing the first still fits, since the first goes.
    expect(size + 100).toBeGreaterThan(photo.length);
    expectNoErrors(await send(text(QUOTA - size - 100), 'filler.txt'));
    const second = expectNoErrors(await avatar(photo)).uploadAvatar.avatar!;
    expect(second.id).not.toBe(first.id);
    expect(await storage()).toEqual({ storageUsed: QUOTA - 100, storageQuota: QUOTA });
    // The same picture as a message would not fit beside the avatar.
    expectErrorCode(await send(photo, 'again.jpg'), 'PAYLOAD_TOO_LARGE');
  });

  it('is off with USER_STORAGE_QUOTA=0: storageQuota is null, storageUsed still counts', async () => {
    const off = await startTestServer({ USER_STORAGE_QUOTA: '0' });
    try {
      const [user, other] = await Promise.all([createUser(off), createUser(off)]);
      const chat = await createPrivateChat(off, user, other);
      expectNoErrors(
        await gqlUpload(
          off,
          SendMediaMessageDocument,
          { input: { chatId: chat, file: null } },
          { 'input.file': { data: text(1234), name: 'a.txt' } },
          as(user),
        ),
      );
      expect(expectNoErrors(await gql<{ me: Storage }, undefined>(off, StorageDocument, undefined, as(user))).me).toEqual({
        storageUsed: 1234,
        storageQuota: null,
      });
    } finally {
      await off.close();
    }
  });
});

describe('cleanFileName', () => {
  it.each([
    ['photo.jpg', 'photo.jpg'],
    ['C:\\Users\\me\\Desktop\\report.pdf', 'report.pdf'],
    ['../../etc/passwd', 'passwd'],
    ['a\u0000b\nc.txt', 'a_b_c.txt'],
    ['"quoted" <name>.png', '_quoted_ _name_.png'],
    ['invoice\u202Efdp.exe', 'invoicefdp.exe'],
    ['   spaced    out  .txt ', 'spaced out .txt'],
    ['..', null],
    ['', null],
    [null, null],
  ])('%j → %j', (raw, expected) => {
    expect(cleanFileName(raw)).toBe(expected);
  });

  it('caps the length at 200 characters, keeping the extension', () => {
    const name = cleanFileName(`${'ж'.repeat(300)}.docx`)!;
    expect([...name]).toHaveLength(200);
    expect(name.endsWith('ж.docx')).toBe(true);
  });
});
