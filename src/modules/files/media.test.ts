/**
 * Media for phones (issue 18, points 3, 4 and 6): voice notes and video read
 * for their length on the server, waveforms, video posters, BlurHash
 * placeholders, the expiry of signed URLs, and Query.files refreshing them,
 * all over real bytes built from the formats' specifications.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { decode as decodeBlurhash } from 'blurhash';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroup, createPrivateChat } from '../../test/chats.js';
import { as, createUser, type TestUser } from '../../test/factories.js';
import {
  ClearChatDocument,
  DeleteMessageDocument,
  FilesDocument,
  ForwardMessageDocument,
  MediaHistoryDocument,
  SendMediaDocument,
  SendMediaMultipartDocument,
  SendMessageDocument,
  UploadAvatarDocument,
  type MediaFileFragment,
  type SendAttachmentsInput,
} from '../../test/generated/graphql.js';
import { SECRET_EXIF, isoMedia, mp3Frames, oggOpus, phonePhoto, twoColourPng, wavTone, webm, webmVoice } from '../../test/media-fixtures.js';
import { expectErrorCode, expectNoErrors, gql, startTestServer, type TestServer } from '../../test/server.js';
import { createUpload, tusHeaders, tusPatch, uploadResumable } from '../../test/tus.js';
import { gqlUpload, listFiles } from '../../test/uploads.js';

let server: TestServer;
let uploadDir: string;
let alice: TestUser, bob: TestUser, stranger: TestUser;
let chatId: string;

beforeAll(async () => {
  server = await startTestServer();
  uploadDir = path.join(server.dataDir, 'uploads');
  [alice, bob, stranger] = await Promise.all([createUser(server), createUser(server), createUser(server)]);
  chatId = await createPrivateChat(server, alice, bob);
});
afterAll(async () => {
  await server?.close();
});

const send = (user: TestUser, input: SendAttachmentsInput) => gql(server, SendMediaDocument, { input }, as(user));
const sendOne = async (user: TestUser, input: SendAttachmentsInput): Promise<MediaFileFragment> => {
  const files = expectNoErrors(await send(user, input)).sendAttachments.files;
  expect(files).toHaveLength(1);
  return files[0]!;
};
const upload = (user: TestUser, bytes: Uint8Array, name = 'file.bin') => uploadResumable(server, user.accessToken, bytes, name);
const fetchBytes = async (url: string) => {
  const response = await fetch(url);
  expect(response.status, url).toBe(200);
  return { type: response.headers.get('content-type'), bytes: Buffer.from(await response.arrayBuffer()) };
};
const expOf = (url: string) => Number(new URL(url).searchParams.get('exp'));
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('voice notes and audio: the length is read from the container', () => {
  it.each([
    ['an Ogg Opus voice note', () => oggOpus(3460), 'audio/ogg', 3460],
    ['an M4A (AAC) voice note', () => isoMedia({ brand: 'M4A ', track: 'audio', durationMs: 2750 }), 'audio/mp4', 2750],
    ['a WAV recording', () => wavTone(1.5), 'audio/wav', 1500],
    // 100 frames of 1152 samples at 44.1 kHz, no Xing header: counted frame by frame.
    ['an MP3', () => mp3Frames(100), 'audio/mpeg', 2612],
    ['a WebM with a Duration', () => webmVoice(4321), 'audio/webm', 4321],
  ])('%s: durationMs from the file, the client’s differing value ignored', async (_, make, mimeType, durationMs) => {
    const bytes = make();
    const id = await upload(alice, bytes, 'voice');
    const file = await sendOne(alice, { chatId, attachments: [{ uploadId: id, durationMs: 99_999 }] });
    expect(file).toMatchObject({ id, kind: 'AUDIO', mimeType, durationMs, size: bytes.byteLength, sha256: sha256(bytes) });
    expect(file.posterUrl).toBeNull();
    expect(file.blurhash).toBeNull();
  });

  it('a WebM from a live recorder (no Duration) takes the client’s durationMs', async () => {
    const id = await upload(alice, webm(2), 'recorded.webm');
    const file = await sendOne(alice, { chatId, attachments: [{ uploadId: id, durationMs: 5000 }] });
    expect(file).toMatchObject({ kind: 'AUDIO', mimeType: 'audio/webm', durationMs: 5000 });
    // Without one from either, none.
    const silent = await sendOne(alice, { chatId, attachments: [{ uploadId: await upload(alice, webm(2)) }] });
    expect(silent.durationMs).toBeNull();
  });

  it('stores the waveform and returns it to the other member, in history and in files(ids)', async () => {
    const waveform = Array.from({ length: 256 }, (_, i) => (i * 37) % 256);
    const id = await upload(alice, oggOpus(1200), 'note.opus');
    const sent = await sendOne(alice, { chatId, attachments: [{ uploadId: id, waveform }] });
    expect(sent).toMatchObject({ durationMs: 1200, waveform });
    const history = expectNoErrors(await gql(server, MediaHistoryDocument, { chatId, first: 1 }, as(bob))).messages.edges;
    expect(history[0]!.node.files[0]).toMatchObject({ id, waveform, durationMs: 1200 });
    expect(expectNoErrors(await gql(server, FilesDocument, { ids: [id] }, as(bob))).files[0]).toMatchObject({ id, waveform });
    // One byte per value.
    expect((await server.database.prisma.file.findUniqueOrThrow({ where: { id } })).waveform).toHaveLength(256);
  });

  it('a multipart voice note (sendMediaMessage) gets its length too', async () => {
    const result = await gqlUpload(
      server,
      SendMediaMultipartDocument,
      { input: { chatId, file: null } },
      { 'input.file': { data: oggOpus(2040), name: 'voice.ogg', type: 'audio/ogg' } },
      as(alice),
    );
    expect(expectNoErrors(result).sendMediaMessage.file).toMatchObject({ kind: 'AUDIO', mimeType: 'audio/ogg', durationMs: 2040, waveform: null });
  });

  it.each([
    ['a waveform on a video', () => isoMedia({ brand: 'isom', track: 'video', durationMs: 1000 }), { waveform: [1, 2, 3] }, 'waveform'],
    ['a waveform on a document', () => Buffer.from('just text\n'), { waveform: [1, 2, 3] }, 'waveform'],
    ['a durationMs on a document', () => Buffer.from('just text\n'), { durationMs: 1000 }, 'durationMs'],
  ])('refuses %s with BAD_USER_INPUT, attaching nothing', async (_, make, extra, field) => {
    const id = await upload(alice, make());
    expect(expectErrorCode(await send(alice, { chatId, attachments: [{ uploadId: id, ...extra }] }), 'BAD_USER_INPUT').extensions?.['field']).toBe(field);
    expect(await server.database.prisma.file.findUniqueOrThrow({ where: { id } })).toMatchObject({ chatId: null, waveform: null });
  });
});

describe('video: the length from the movie header, a poster from the sender', () => {
  it('an MP4 with a poster: durationMs from mvhd, the poster re-encoded without EXIF at posterUrl, its thumbnail and blurhash on the video', async () => {
    const video = isoMedia({ brand: 'isom', track: 'video', durationMs: 5250, mdatBytes: 64 * 1024 });
    const videoId = await upload(alice, video, 'clip.mp4');
    const posterId = await upload(alice, await phonePhoto('jpeg', 320, 180), 'poster.jpg');
    const file = await sendOne(alice, { chatId, attachments: [{ uploadId: videoId, posterUploadId: posterId, durationMs: 1 }] });
    expect(file).toMatchObject({ id: videoId, kind: 'VIDEO', mimeType: 'video/mp4', durationMs: 5250, sha256: sha256(video) });
    expect(file.blurhash).toMatch(/^[0-9A-Za-z#$%*+,-.:;=?@[\]^_{|}~]{28}$/);

    // Bob, the other member, fetches all three; the poster is a JPEG again, oriented, with no camera or GPS left in it.
    const poster = await fetchBytes(file.posterUrl!);
    expect(poster.type).toBe('image/jpeg');
    const meta = await sharp(poster.bytes).metadata();
    expect(meta.exif).toBeUndefined();
    expect(poster.bytes.includes(Buffer.from(SECRET_EXIF.make))).toBe(false);
    // Stored sideways with orientation 6: displayed, 180 wide and 320 tall.
    expect([meta.width, meta.height]).toEqual([180, 320]);
    const thumbnail = await fetchBytes(file.thumbnailUrl!);
    expect(thumbnail.type).toBe('image/webp');
    expect(sha256((await fetchBytes(file.url)).bytes)).toBe(sha256(video));
    const [seen] = expectNoErrors(await gql(server, FilesDocument, { ids: [videoId] }, as(bob))).files;
    expect(seen).toMatchObject({ id: videoId, durationMs: 5250, blurhash: file.blurhash });
    expect(seen!.posterUrl).not.toBeNull();

    // The poster is used up: no File or upload of its own, and its bytes are counted once, on the video.
    expect(await server.database.prisma.file.count({ where: { id: posterId } })).toBe(0);
    expect(await server.database.prisma.uploadSession.count({ where: { id: { in: [posterId, videoId] } } })).toBe(0);
    const row = await server.database.prisma.file.findUniqueOrThrow({ where: { id: videoId } });
    expect(row.posterSize).toBe(poster.bytes.byteLength);
    expect(row.thumbnailSize).toBe(thumbnail.bytes.byteLength);
  });

  it('a MOV takes its length from mvhd too; without a poster, no posterUrl, thumbnailUrl or blurhash', async () => {
    const id = await upload(alice, isoMedia({ brand: 'qt  ', track: 'video', durationMs: 61_500 }), 'clip.mov');
    const file = await sendOne(alice, { chatId, attachments: [{ uploadId: id }] });
    expect(file).toMatchObject({ kind: 'VIDEO', mimeType: 'video/quicktime', durationMs: 61_500, posterUrl: null, thumbnailUrl: null, blurhash: null });
  });

  it('an MP4 without a movie header (as old uploads were: an ftyp and filler) takes the client’s durationMs', async () => {
    const bytes = Buffer.concat([isoMedia({ brand: 'isom', track: 'video', durationMs: 1 }).subarray(0, 32), Buffer.alloc(4096, 0x5a)]);
    const id = await upload(alice, bytes, 'broken.mp4');
    const file = await sendOne(alice, { chatId, attachments: [{ uploadId: id, durationMs: 7000 }] });
    expect(file).toMatchObject({ kind: 'VIDEO', durationMs: 7000 });
  });

  it('forwarded, the copy shows the poster; deleting the original keeps its bytes for the copy, deleting both removes them', async () => {
    const videoId = await upload(alice, isoMedia({ brand: 'isom', track: 'video', durationMs: 3000 }), 'clip.mp4');
    const posterId = await upload(alice, await phonePhoto('png', 64, 48), 'poster.png');
    const sent = expectNoErrors(await send(alice, { chatId, attachments: [{ uploadId: videoId, posterUploadId: posterId }] })).sendAttachments;
    const row = await server.database.prisma.file.findUniqueOrThrow({ where: { id: videoId } });
    const keys = [row.storageKey, row.thumbnailKey!, row.posterKey!];
    const elsewhere = await createGroup(server, bob, [stranger], 'Elsewhere');
    // Bob forwards what Alice sent him.
    const [copy] = expectNoErrors(await gql(server, ForwardMessageDocument, { messageId: sent.id, toChatIds: [elsewhere] }, as(bob))).forwardMessage;
    const copied = expectNoErrors(await gql(server, MediaHistoryDocument, { chatId: elsewhere, first: 1 }, as(stranger))).messages.edges[0]!.node.files[0]!;
    expect(copied).toMatchObject({ kind: 'VIDEO', durationMs: 3000, blurhash: sent.files[0]!.blurhash });
    expect((await fetchBytes(copied.posterUrl!)).type).toBe('image/png');

    expectNoErrors(await gql(server, DeleteMessageDocument, { messageId: sent.id, forEveryone: true }, as(alice)));
    const stored = async () => (await listFiles(uploadDir)).filter((file) => keys.includes(file)).length;
    expect(await stored()).toBe(3);
    expect((await fetchBytes(copied.posterUrl!)).type).toBe('image/png');
    expectNoErrors(await gql(server, DeleteMessageDocument, { messageId: copy!.id, forEveryone: true }, as(bob)));
    expect(await stored()).toBe(0);
  });
});

describe('posters: what is refused', () => {
  const video = () => isoMedia({ brand: 'isom', track: 'video', durationMs: 2000 });

  it('a poster that is not an image is BAD_USER_INPUT (posterUploadId); nothing changes in UPLOAD_DIR, both can still be sent', async () => {
    const videoId = await upload(alice, video(), 'clip.mp4');
    const textId = await upload(alice, Buffer.from('not a picture\n'), 'poster.txt');
    const before = await listFiles(uploadDir);
    const refused = expectErrorCode(await send(alice, { chatId, attachments: [{ uploadId: videoId, posterUploadId: textId }] }), 'BAD_USER_INPUT');
    expect(refused.extensions?.['field']).toBe('posterUploadId');
    expect(await listFiles(uploadDir)).toEqual(before);
    expect(await listFiles(path.join(uploadDir, '.tmp'))).toEqual([]);
    // Rolled back whole: the video was not attached, the text file is still Alice's own.
    const rows = await server.database.prisma.file.findMany({ where: { id: { in: [videoId, textId] } }, select: { id: true, chatId: true, posterKey: true } });
    expect(rows.map((row) => [row.chatId, row.posterKey])).toEqual([
      [null, null],
      [null, null],
    ]);
    const sent = expectNoErrors(await send(alice, { chatId, attachments: [{ uploadId: videoId }, { uploadId: textId }] })).sendAttachments;
    expect(sent.files.map((file) => file.kind)).toEqual(['VIDEO', 'DOCUMENT']);
  });

  it('someone else’s poster, or an unknown one, is NOT_FOUND; an unfinished one, a sent one, or one for a non-video BAD_USER_INPUT', async () => {
    const videoId = await upload(alice, video());
    const bobsPoster = await upload(bob, await phonePhoto('png', 20, 20));
    expectErrorCode(await send(alice, { chatId, attachments: [{ uploadId: videoId, posterUploadId: bobsPoster }] }), 'NOT_FOUND');
    expectErrorCode(await send(alice, { chatId, attachments: [{ uploadId: videoId, posterUploadId: '8f14e45f-ceea-467a-9af0-fd0a2b4a9c1e' }] }), 'NOT_FOUND');
    expectErrorCode(await send(alice, { chatId, attachments: [{ uploadId: videoId, posterUploadId: 'not-an-id' }] }), 'NOT_FOUND');
    const fieldOf = async (input: SendAttachmentsInput) => expectErrorCode(await send(alice, input), 'BAD_USER_INPUT').extensions?.['field'];
    const unfinished = await createUpload(server, alice.accessToken, 100);
    expect(await fieldOf({ chatId, attachments: [{ uploadId: videoId, posterUploadId: unfinished.id }] })).toBe('posterUploadId');
    expect((await fetch(unfinished.url, { method: 'DELETE', headers: tusHeaders(alice.accessToken) })).status).toBe(204);
    const sentPhoto = await upload(alice, await phonePhoto('png', 20, 20));
    expectNoErrors(await send(alice, { chatId, attachments: [{ uploadId: sentPhoto }] }));
    expect(await fieldOf({ chatId, attachments: [{ uploadId: videoId, posterUploadId: sentPhoto }] })).toBe('posterUploadId');
    const audioId = await upload(alice, oggOpus(500));
    const poster = await upload(alice, await phonePhoto('png', 20, 20));
    expect(await fieldOf({ chatId, attachments: [{ uploadId: audioId, posterUploadId: poster }] })).toBe('posterUploadId');
    // A poster named twice, or a file of the album as a poster.
    const otherVideo = await upload(alice, video());
    expect(
      await fieldOf({
        chatId,
        attachments: [
          { uploadId: videoId, posterUploadId: poster },
          { uploadId: otherVideo, posterUploadId: poster },
        ],
      }),
    ).toBe('posterUploadId');
    expect(await fieldOf({ chatId, attachments: [{ uploadId: videoId, posterUploadId: otherVideo }, { uploadId: otherVideo }] })).toBe('posterUploadId');
    // Bob's poster is still his, unsent; Alice's video and poster still hers.
    expect(await server.database.prisma.file.count({ where: { id: { in: [bobsPoster, videoId, poster, otherVideo] }, chatId: null } })).toBe(4);
    expect((await sendOne(alice, { chatId, attachments: [{ uploadId: videoId, posterUploadId: poster }] })).posterUrl).not.toBeNull();
  });
});

describe('blurhash', () => {
  /** Base 83 (https://github.com/woltapp/blurhash/blob/master/Algorithm.md): the first character is (x − 1) + (y − 1) × 9. */
  const components = (hash: string) => {
    const size = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~'.indexOf(hash[0]!);
    return { x: (size % 9) + 1, y: Math.floor(size / 9) + 1 };
  };
  /** Mean RGB of the columns [from, to) of RGBA pixels. */
  const mean = (pixels: Uint8ClampedArray | Buffer, width: number, height: number, from: number, to: number) => {
    const sum = [0, 0, 0];
    for (let y = 0; y < height; y++) for (let x = from; x < to; x++) for (let c = 0; c < 3; c++) sum[c]! += pixels[(y * width + x) * 4 + c]!;
    return sum.map((value) => value / ((to - from) * height));
  };
  const RED: [number, number, number] = [220, 30, 30];
  const BLUE: [number, number, number] = [30, 40, 210];

  it.each([
    ['landscape', 400, 200, { x: 4, y: 3 }],
    ['portrait', 200, 400, { x: 3, y: 4 }],
  ])(
    'a %s two-colour image of %i×%i: 4 components along its long side and 3 across, decoding at the thumbnail’s size to its two colours',
    async (_, width, height, expected) => {
      const id = await upload(alice, await twoColourPng(width, height, RED, BLUE), 'halves.png');
      const file = await sendOne(alice, { chatId, attachments: [{ uploadId: id }] });
      expect(file).toMatchObject({ width, height });
      expect(components(file.blurhash!)).toEqual(expected);

      const thumbnail = await sharp((await fetchBytes(file.thumbnailUrl!)).bytes)
        .ensureAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      const { width: w, height: h } = thumbnail.info;
      // The thumbnail keeps the picture's aspect; decoded at its size, the placeholder is red on the left and blue on the right.
      expect(w / h).toBeCloseTo(width / height, 1);
      const decoded = decodeBlurhash(file.blurhash!, w, h);
      expect(decoded).toHaveLength(w * h * 4);
      const quarter = Math.floor(w / 4);
      for (const [from, to, colour] of [
        [0, quarter, RED],
        [w - quarter, w, BLUE],
      ] as const) {
        const placeholder = mean(decoded, w, h, from, to);
        const real = mean(thumbnail.data, w, h, from, to);
        placeholder.forEach((value, c) => {
          expect(Math.abs(value - colour[c]!), `channel ${c} of columns ${from}–${to}`).toBeLessThan(60);
          expect(Math.abs(value - real[c]!)).toBeLessThan(60);
        });
      }
    },
  );

  it('a profile picture gets one too; documents none', async () => {
    const me = await createUser(server);
    const result = await gqlUpload(server, UploadAvatarDocument, { file: null }, { file: { data: await phonePhoto('png', 64, 64), name: 'me.png' } }, as(me));
    const avatarId = expectNoErrors(result).uploadAvatar.avatar!.id;
    const [avatar] = expectNoErrors(await gql(server, FilesDocument, { ids: [avatarId] }, as(stranger))).files;
    expect(components(avatar!.blurhash!)).toEqual({ x: 4, y: 3 });
    const doc = await sendOne(alice, { chatId, attachments: [{ uploadId: await upload(alice, Buffer.from('text\n')) }] });
    expect(doc.blurhash).toBeNull();
  });
});

describe('files(ids) and urlExpiresAt', () => {
  it('urlExpiresAt is the exp every signed URL of the file carries', async () => {
    const videoId = await upload(alice, isoMedia({ brand: 'isom', track: 'video', durationMs: 1000 }));
    const posterId = await upload(alice, await phonePhoto('png', 32, 32));
    const file = await sendOne(alice, { chatId, attachments: [{ uploadId: videoId, posterUploadId: posterId }] });
    const exp = Date.parse(file.urlExpiresAt) / 1000;
    expect([expOf(file.url), expOf(file.thumbnailUrl!), expOf(file.posterUrl!)]).toEqual([exp, exp, exp]);
    // About an hour ahead (the TTL, rounded up to a 5-minute bucket).
    expect(exp * 1000 - Date.now()).toBeGreaterThan(3600_000 - 60_000);
    expect(exp * 1000 - Date.now()).toBeLessThanOrEqual(3900_000 + 60_000);
    const [again] = expectNoErrors(await gql(server, FilesDocument, { ids: [videoId] }, as(bob))).files;
    expect(expOf(again!.url)).toBe(Date.parse(again!.urlExpiresAt) / 1000);
  });

  it('refreshes 100 files in the same number of statements as 1, in order, null for what the viewer may not see', async () => {
    // 100 files of Alice's in Bob's chats: a private chat and two groups, in albums of 10.
    const groups = [await createGroup(server, alice, [bob], 'One'), await createGroup(server, alice, [bob], 'Two')];
    const chats = [chatId, ...groups];
    const ids: string[] = [];
    for (let album = 0; album < 10; album++) {
      const batch: string[] = [];
      for (let i = 0; i < 10; i += 5) {
        batch.push(...(await Promise.all(Array.from({ length: 5 }, (_, j) => upload(alice, Buffer.from(`file ${album}.${i + j}\n`))))));
      }
      expectNoErrors(await send(alice, { chatId: chats[album % chats.length]!, attachments: batch.map((uploadId) => ({ uploadId })) }));
      ids.push(...batch);
    }
    const refresh = (list: string[], user: TestUser = bob) => gql(server, FilesDocument, { ids: list }, as(user));
    // Background work of the sends (notifications for Bob) finished: only the refresh is counted.
    await expect.poll(() => server.countStatements(() => new Promise((resolve) => setTimeout(resolve, 200))), { timeout: 10_000 }).toBe(0);
    const one = await server.countStatements(async () => expectNoErrors(await refresh(ids.slice(0, 1))), { runs: 3 });
    const hundred = await server.countStatements(async () => expectNoErrors(await refresh(ids)), { runs: 3 });
    expect(hundred).toBe(one);
    // 5 when written: the session, the file rows, then the chats' reads and the files' messages, each batched.
    expect(one).toBeLessThanOrEqual(5);
    const shuffled = [...ids].reverse();
    const files = expectNoErrors(await refresh(shuffled)).files;
    expect(files.map((file) => file?.id)).toEqual(shuffled);
    expect(new Set(files.map((file) => file!.urlExpiresAt)).size).toBe(1);

    // A stranger gets nulls, exactly as for an id that does not exist or is not one.
    const unknown = '8f14e45f-ceea-467a-9af0-fd0a2b4a9c1e';
    expect(expectNoErrors(await refresh([ids[0]!, unknown, 'nope', ids[99]!], stranger)).files).toEqual([null, null, null, null]);
    // An unsent upload is its owner's alone.
    const unsent = await upload(stranger, Buffer.from('mine\n'));
    expect(expectNoErrors(await refresh([unsent, ids[0]!], stranger)).files.map((file) => file?.id ?? null)).toEqual([unsent, null]);
    expect(expectNoErrors(await refresh([unsent, ids[0]!])).files.map((file) => file?.id ?? null)).toEqual([null, ids[0]]);
  });

  it('follows the history rules: a chat Bob cleared no longer shows him its files', async () => {
    const group = await createGroup(server, alice, [bob], 'Cleared');
    const before = await upload(alice, Buffer.from('before\n'));
    expectNoErrors(await send(alice, { chatId: group, attachments: [{ uploadId: before }] }));
    expectNoErrors(await gql(server, ClearChatDocument, { chatId: group }, as(bob)));
    expectNoErrors(await gql(server, SendMessageDocument, { input: { chatId: group, text: 'after the clearing' } }, as(alice)));
    const after = await upload(alice, Buffer.from('after\n'));
    expectNoErrors(await send(alice, { chatId: group, attachments: [{ uploadId: after }] }));
    expect(expectNoErrors(await gql(server, FilesDocument, { ids: [before, after] }, as(bob))).files.map((file) => file?.id ?? null)).toEqual([null, after]);
    expect(expectNoErrors(await gql(server, FilesDocument, { ids: [before, after] }, as(alice))).files.map((file) => file?.id ?? null)).toEqual([
      before,
      after,
    ]);
  });

  it('refuses 101 ids with BAD_USER_INPUT (field ids); takes 100, and none', async () => {
    const ids = Array.from({ length: 101 }, () => '8f14e45f-ceea-467a-9af0-fd0a2b4a9c1e');
    expect(expectErrorCode(await gql(server, FilesDocument, { ids }, as(bob)), 'BAD_USER_INPUT').extensions?.['field']).toBe('ids');
    expect(expectNoErrors(await gql(server, FilesDocument, { ids: ids.slice(1) }, as(bob))).files).toHaveLength(100);
    expect(expectNoErrors(await gql(server, FilesDocument, { ids: [] }, as(bob))).files).toEqual([]);
  });
});

describe('limits and clean-up', () => {
  it('a voice note whose container is damaged is still sent, with the client’s length, and leaves nothing in UPLOAD_DIR/.tmp', async () => {
    // An Ogg Opus stream cut after its headers and with the rest garbled.
    const bytes = Buffer.concat([oggOpus(2000).subarray(0, 120), Buffer.alloc(2000, 0xee)]);
    const id = await upload(alice, bytes, 'cut.opus');
    const file = await sendOne(alice, { chatId, attachments: [{ uploadId: id, durationMs: 1800 }] });
    expect(file).toMatchObject({ kind: 'AUDIO', durationMs: 1800 });
    expect(await listFiles(path.join(uploadDir, '.tmp'))).toEqual([]);
  });

  it('a finished upload refused at completion (an executable) leaves nothing in UPLOAD_DIR', async () => {
    const before = await listFiles(uploadDir);
    const bytes = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(248)]);
    const session = await createUpload(server, alice.accessToken, bytes.byteLength);
    expect((await tusPatch(session.url, alice.accessToken, 0, bytes)).status).toBe(415);
    expect(await listFiles(uploadDir)).toEqual(before);
  });
});
