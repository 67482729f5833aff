import type { LookupAddress } from 'node:dns';
import { readdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOB_QUEUE_SCHEMA } from '../../db/job-queue-schema.js';
import { firstLink } from '../../lib/links.js';
import { PublicUrlGuard, type HostLookup } from '../../lib/public-address.js';
import { createPair } from '../../test/chats.js';
import { as, type TestUser } from '../../test/factories.js';
import { gqlUpload } from '../../test/uploads.js';
import {
  DeleteMessageDocument,
  EditLinkMessageDocument,
  LinkPreviewChangesDocument,
  LinkPreviewHistoryDocument,
  LinkPreviewSearchDocument,
  OnLinkPreviewDocument,
  SendLinkMessageDocument,
  SendMediaMessageDocument,
  type LinkPreviewFieldsFragment,
} from '../../test/generated/graphql.js';
import { LiveSubscription, expectNoErrors, gql, startTestServer, waitForListeners, wsClient, type TestServer } from '../../test/server.js';
import { MessageTopic } from '../messages/index.js';
import { LinkFetchError, LinkFetcher } from './link-preview.fetch.js';
import { readMetadata } from './link-preview.html.js';

/** Names that exist nowhere, answered from the table; `private.example.test` has a loopback address beside a private one. */
const names: Record<string, string[]> = {
  'site.example.test': ['127.0.0.1'],
  'news.example.test': ['127.0.0.1'],
  'private.example.test': ['127.0.0.1', '10.0.0.1'],
  'intranet.example.test': ['10.0.0.1'],
};
const lookup: HostLookup = async (hostname) => {
  const addresses = names[hostname];
  if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return addresses.map((address): LookupAddress => ({ address, family: address.includes(':') ? 6 : 4 }));
};

const ARTICLE = `<!doctype html><html><head>
  <meta charset="utf-8">
  <title>Fallback title</title>
  <meta property="og:title" content="Tea &amp; biscuits: a history">
  <meta name="description" content="Plain description">
  <meta property="og:description" content="Why the British dunk,
    explained.">
  <meta property="og:site_name" content="The Example Times">
  <meta property="og:image" content="/images/tea.png">
</head><body><p>Body text that is not metadata.</p></body></html>`;

/** The pages the tests link to, on 127.0.0.1 under any name; every request is recorded with its Host. */
async function startSite() {
  const requests: { host: string; path: string }[] = [];
  const png = await sharp({ create: { width: 800, height: 600, channels: 3, background: { r: 200, g: 120, b: 40 } } })
    .png()
    .toBuffer();
  const server: Server = createServer((req: IncomingMessage, res) => {
    const url = req.url ?? '/';
    requests.push({ host: req.headers.host ?? '', path: url });
    const hop = /^\/r\/(\d+)$/.exec(url);
    if (hop) {
      const left = Number(hop[1]);
      res.writeHead(302, { location: left > 1 ? `/r/${left - 1}` : '/article' }).end();
    } else if (url === '/article' || url === '/article?second') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(ARTICLE);
    } else if (url === '/images/tea.png') {
      res.writeHead(200, { 'content-type': 'image/png' }).end(png);
    } else if (url === '/broken-image') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<head><title>Broken</title><meta property="og:image" content="/broken.png"></head>');
    } else if (url === '/broken.png') {
      res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.concat([png.subarray(0, 64), Buffer.alloc(4096, 7)]));
    } else if (url === '/to-private') {
      res.writeHead(302, { location: `http://private.example.test:${port()}/article` }).end();
    } else if (url === '/big') {
      // Valid metadata first, then 2 MB without a Content-Length: only the cap on what is read refuses it.
      res.writeHead(200, { 'content-type': 'text/html' });
      res.write(ARTICLE.replace('</head>', ''));
      const chunk = `<!-- ${'x'.repeat(64 * 1024)} -->`;
      let sent = 0;
      const more = () => {
        while (sent < 2 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', more);
        }
        res.end('</head></html>');
      };
      res.on('error', () => undefined);
      more();
    } else if (url === '/slow') {
      const timer = setTimeout(() => res.writeHead(200, { 'content-type': 'text/html' }).end(ARTICLE), 3000);
      res.on('close', () => clearTimeout(timer));
    } else if (url === '/report.pdf') {
      res.writeHead(200, { 'content-type': 'application/pdf' }).end('%PDF-1.4 <title>Not a page</title>');
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = () => (server.address() as AddressInfo).port;
  return { server, requests, port: port(), png };
}

let site: Awaited<ReturnType<typeof startSite>>;
let server: TestServer;
const BUDGET = 3;

beforeAll(async () => {
  site = await startSite();
  server = await startTestServer(
    { RATE_LIMIT_LINK_PREVIEWS: `${BUDGET}/3600`, LINK_PREVIEW_TIMEOUT_MS: '1000' },
    { tuning: { linkPreviews: { allowLoopback: true, lookup } } },
  );
});
afterAll(async () => {
  await server?.close();
  await new Promise((resolve) => site?.server.close(resolve));
});

const link = (host: string, pathname: string) => `http://${host}:${site.port}${pathname}`;

async function send(user: TestUser, chatId: string, text: string, linkPreview?: boolean): Promise<LinkPreviewFieldsFragment> {
  return expectNoErrors(await gql(server, SendLinkMessageDocument, { input: { chatId, text, linkPreview } }, as(user))).sendMessage;
}

/** Whether the message's link_preview job is queued or running (a finished one is deleted once its task returned). */
async function jobPending(messageId: string): Promise<boolean> {
  const rows = await server.database.prisma.$queryRawUnsafe<{ n: number }[]>(
    `SELECT count(*)::int AS n FROM ${JOB_QUEUE_SCHEMA}._private_jobs WHERE key = $1`,
    `link_preview:${messageId}`,
  );
  return rows[0]!.n > 0;
}

/** Waits for the message's job to have run, then returns the message as its chat's history has it. */
async function afterJob(user: TestUser, message: Pick<LinkPreviewFieldsFragment, 'id' | 'chatId'>): Promise<LinkPreviewFieldsFragment> {
  await expect.poll(() => jobPending(message.id), { timeout: 8000, interval: 50 }).toBe(false);
  const history = expectNoErrors(await gql(server, LinkPreviewHistoryDocument, { chatId: message.chatId }, as(user))).messages;
  return history.edges.map((edge) => edge.node).find((node) => node.id === message.id)!;
}

async function tempFiles(): Promise<string[]> {
  return readdir(path.join(server.dataDir, 'uploads', '.tmp'));
}

describe('link previews', () => {
  it('reach a subscribed member by messageUpdated and a catching-up client by messageChanges, without marking an edit', async () => {
    const { a, b, chatId } = await createPair(server);
    const client = wsClient(server, b.accessToken);
    try {
      const updates = new LiveSubscription(client, OnLinkPreviewDocument, { chatId });
      await waitForListeners(server, MessageTopic.MessageUpdated, b.user.id, 1);
      const url = link('site.example.test', '/article');
      const sent = await send(a, chatId, `Have you read this? ${url}.`);
      expect(sent.linkPreview).toBeNull();

      const [updated] = await updates.waitFor(1, 8000);
      const preview = updated!.messageUpdated;
      expect(preview).toMatchObject({ id: sent.id, text: sent.text, editedAt: null, deleted: false });
      expect(preview.rev).toBeGreaterThan(sent.rev);
      expect(preview.linkPreview).toMatchObject({
        url,
        title: 'Tea & biscuits: a history',
        description: 'Why the British dunk, explained.',
        siteName: 'The Example Times',
      });

      // The image: fetched through the same guard, stored as a thumbnail, served signed.
      const imageUrl = preview.linkPreview!.imageUrl!;
      expect(imageUrl).toMatch(/\/files\/[0-9a-f-]{36}\?exp=\d+&sig=/);
      const image = await fetch(new URL(imageUrl, server.url));
      expect(image.status).toBe(200);
      expect(image.headers.get('content-type')).toBe('image/webp');
      const meta = await sharp(Buffer.from(await image.arrayBuffer())).metadata();
      expect({ format: meta.format, width: meta.width, height: meta.height }).toEqual({ format: 'webp', width: 320, height: 240 });
      expect(site.requests.filter((request) => request.path === '/images/tea.png')).toHaveLength(1);

      const changes = expectNoErrors(await gql(server, LinkPreviewChangesDocument, { chatId, afterRev: sent.rev }, as(b))).messageChanges;
      expect(changes.edges.map((edge) => edge.node)).toEqual([preview]);

      // History and search carry it too.
      expect(await afterJob(b, sent)).toEqual(preview);
      const found = expectNoErrors(await gql(server, LinkPreviewSearchDocument, { query: 'read this', chatId }, as(b))).searchMessages;
      expect(found.edges.map((edge) => edge.node.linkPreview?.title)).toEqual(['Tea & biscuits: a history']);
      expect(await tempFiles()).toEqual([]);
    } finally {
      await client.dispose();
    }
  });

  it("previews a media message's caption too", async () => {
    const { a, b, chatId } = await createPair(server);
    const caption = `the mug from ${link('news.example.test', '/article')}`;
    const photo = { data: site.png, name: 'mug.png', type: 'image/png' };
    const sent = expectNoErrors(await gqlUpload(server, SendMediaMessageDocument, { input: { chatId, caption, file: null } }, { 'input.file': photo }, as(a)));
    const message = await afterJob(b, sent.sendMediaMessage);
    expect(message.linkPreview).toMatchObject({ url: link('news.example.test', '/article'), siteName: 'The Example Times' });
  });

  it('costs no statement per message in a page of history', async () => {
    const { a, b, chatId } = await createPair(server);
    const read = () => server.countStatements(async () => void expectNoErrors(await gql(server, LinkPreviewHistoryDocument, { chatId }, as(b))), { runs: 3 });
    const first = await send(a, chatId, `one ${link('site.example.test', '/article')}`);
    expect((await afterJob(b, first)).linkPreview).not.toBeNull();
    const withOne = await read();
    const more = [await send(a, chatId, `two ${link('news.example.test', '/article')}`), await send(a, chatId, `three ${link('site.example.test', '/r/1')}`)];
    for (const message of more) expect((await afterJob(b, message)).linkPreview?.imageUrl).toBeTruthy();
    expect(await read()).toBe(withOne);
  });

  it('fetches nothing for linkPreview: false', async () => {
    const { a, chatId } = await createPair(server);
    const before = site.requests.length;
    const sent = await send(a, chatId, `no preview please ${link('site.example.test', '/article?second')}`, false);
    // The job is queued before sendMessage answers: none was.
    expect(await jobPending(sent.id)).toBe(false);
    expect((await afterJob(a, sent)).linkPreview).toBeNull();
    expect(site.requests.slice(before).filter((request) => request.path === '/article?second')).toEqual([]);
  });

  it('never connects to a name with a private address, nor follows a redirect to one', async () => {
    const { a, chatId } = await createPair(server);
    for (const url of [link('private.example.test', '/article'), link('intranet.example.test', '/article'), link('site.example.test', '/to-private')]) {
      const message = await send(a, chatId, `look ${url}`);
      expect((await afterJob(a, message)).linkPreview, url).toBeNull();
    }
    // private.example.test also resolves to 127.0.0.1, where the site listens: had one address gone unchecked, it would have been asked.
    expect(site.requests.filter((request) => request.host.startsWith('private.') || request.host.startsWith('intranet.'))).toEqual([]);
    expect(site.requests.filter((request) => request.path === '/to-private')).toHaveLength(1);
  });

  it('follows at most 3 redirects', async () => {
    const { a, chatId } = await createPair(server);
    const three = await send(a, chatId, link('news.example.test', '/r/3'));
    expect((await afterJob(a, three)).linkPreview?.title).toBe('Tea & biscuits: a history');
    const four = await send(a, chatId, link('news.example.test', '/r/4'));
    expect((await afterJob(a, four)).linkPreview).toBeNull();
  });

  it('gives none for a page over 1 MB, a slow page, or what is not HTML, and leaves no temporary file', async () => {
    const { a, b, chatId } = await createPair(server);
    for (const pathname of ['/big', '/slow', '/report.pdf']) {
      const started = Date.now();
      const message = await send(a, chatId, link('site.example.test', pathname));
      expect((await afterJob(a, message)).linkPreview, pathname).toBeNull();
      // LINK_PREVIEW_TIMEOUT_MS is 1 s here: the slow page (3 s) is given up on well before it answers.
      if (pathname === '/slow') expect(Date.now() - started).toBeLessThan(2900);
    }
    // An image that is not one: the preview comes without it. (From b: a's budget of 3 is spent.)
    const broken = await send(b, chatId, link('site.example.test', '/broken-image'));
    expect((await afterJob(a, broken)).linkPreview).toMatchObject({ title: 'Broken', imageUrl: null });
    expect(await tempFiles()).toEqual([]);
  });

  it("honours the sender's budget: past it, messages go without", async () => {
    const { a, chatId } = await createPair(server);
    const sent: LinkPreviewFieldsFragment[] = [];
    for (let i = 0; i < BUDGET + 1; i += 1) sent.push(await send(a, chatId, `${i} ${link('site.example.test', `/r/${1 + (i % 2)}`)}`));
    const over = sent.at(-1)!;
    expect(await jobPending(over.id)).toBe(false);
    const previews = await Promise.all(sent.map((message) => afterJob(a, message)));
    expect(previews.map((message) => message.linkPreview !== null)).toEqual([true, true, true, false]);
  });

  it('goes with an edit that changes the link, and with a deletion for everyone (its image too)', async () => {
    const { a, b, chatId } = await createPair(server);
    const url = link('site.example.test', '/article');
    const first = await afterJob(a, await send(a, chatId, `first ${url}`));
    const kept = expectNoErrors(await gql(server, EditLinkMessageDocument, { messageId: first.id, text: `still ${url}` }, as(a))).editMessage;
    expect(kept.linkPreview).toEqual(first.linkPreview);
    const dropped = expectNoErrors(await gql(server, EditLinkMessageDocument, { messageId: first.id, text: 'no link now' }, as(a))).editMessage;
    expect(dropped.linkPreview).toBeNull();
    expect(await fetch(new URL(first.linkPreview!.imageUrl!, server.url)).then((response) => response.status)).toBe(404);

    const second = await afterJob(b, await send(a, chatId, `second ${url}`));
    expect(second.linkPreview?.imageUrl).toBeTruthy();
    expectNoErrors(await gql(server, DeleteMessageDocument, { messageId: second.id, forEveryone: true }, as(a)));
    expect((await afterJob(b, second)).linkPreview).toBeNull();
    expect(await fetch(new URL(second.linkPreview!.imageUrl!, server.url)).then((response) => response.status)).toBe(404);
  });
});

describe('LinkFetcher without the test allowance', () => {
  it('refuses loopback, by literal and by name, before connecting', async () => {
    const fetcher = new LinkFetcher(new PublicUrlGuard({ name: 'link', protocols: ['https:', 'http:'], lookup }));
    const before = site.requests.length;
    for (const url of [`http://127.0.0.1:${site.port}/article`, link('site.example.test', '/article'), `http://[::ffff:127.0.0.1]:${site.port}/article`]) {
      const refusal = await fetcher.page(url, AbortSignal.timeout(2000)).catch((error: unknown) => error);
      expect(refusal, url).toBeInstanceOf(LinkFetchError);
      expect((refusal as LinkFetchError).reason).toBe('refused');
    }
    expect(site.requests.length).toBe(before);
  });
});

describe('readMetadata', () => {
  it('prefers Open Graph, falls back to <title> and the description, decodes and bounds what it reads', () => {
    const page = (head: string) => Buffer.from(`<html><head>${head}</head><body><meta property="og:title" content="in the body"></body></html>`);
    expect(
      readMetadata(page(`<title> Only &lt;title&gt; &#x263A; </title><meta content='Said &quot;hi&quot;' name=description>`), undefined, 'https://a.example/x'),
    ).toEqual({
      title: 'Only <title> ☺',
      description: 'Said "hi"',
      siteName: null,
      imageUrl: null,
    });
    const long = readMetadata(
      page(`<meta property="og:title" content="${'é'.repeat(400)}"><meta property="og:image" content="javascript:alert(1)">`),
      undefined,
      'https://a.example/',
    );
    expect(Array.from(long.title!)).toHaveLength(300);
    expect(long.imageUrl).toBeNull();
    const latin1 = Buffer.concat([Buffer.from('<head><meta charset="iso-8859-1"><title>Caf'), Buffer.from([0xe9]), Buffer.from('</title></head>')]);
    expect(readMetadata(latin1, undefined, 'https://a.example/').title).toBe('Café');
    expect(readMetadata(page('<meta property="og:image" content="//cdn.example/i.png">'), undefined, 'https://a.example/p').imageUrl).toBe(
      'https://cdn.example/i.png',
    );
  });
});

describe('firstLink', () => {
  it('finds the first http(s) URL, without the punctuation around it', () => {
    expect(firstLink('see https://example.com/a.')).toBe('https://example.com/a');
    expect(firstLink('(at https://en.wikipedia.org/wiki/Tea_(drink)) and http://b.example')).toBe('https://en.wikipedia.org/wiki/Tea_(drink)');
    expect(firstLink('ftp://x.example then HTTP://Example.COM/Path?q=1, ok')).toBe('http://example.com/Path?q=1');
    expect(firstLink('no links, just http:// and mailto:a@b.example')).toBeNull();
    expect(firstLink(null)).toBeNull();
  });
});
