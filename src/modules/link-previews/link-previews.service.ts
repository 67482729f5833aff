import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { readFile, rm } from 'node:fs/promises';
import type { PrismaClient } from '../../generated/prisma/client.js';
import type { JobQueue } from '../../jobs/job-queue.js';
import { AppError, type ErrorCode } from '../../lib/errors.js';
import { firstLink } from '../../lib/links.js';
import type { Logger } from '../../lib/logger.js';
import { PublicUrlGuard, type HostLookup } from '../../lib/public-address.js';
import type { Limiter } from '../../lib/rate-limits.js';
import type { FileStore } from '../../media/file-store.js';
import { detectFileType } from '../../media/file-type.js';
import { ImageProcessor } from '../../media/image.js';
import type { TempDir, TempFile } from '../../media/temp-file.js';
import { MESSAGE_SELECT, type LinkPreviewPort, type MessageLog, type MessageRecord } from '../messages/index.js';
import { DEFAULT_FETCH_LIMITS, LinkFetchError, LinkFetcher, type LinkFetchLimits } from './link-preview.fetch.js';
import { readMetadata, type PageMetadata } from './link-preview.html.js';

/** What the link_preview job is given: the message, and the link it was sent with. */
export interface LinkPreviewJob {
  messageId: string;
  chatId: string;
  url: string;
}

/** Options for {@link LinkPreviewsService}. */
export interface LinkPreviewsOptions {
  /** `LINK_PREVIEW_TIMEOUT_MS`: the page and its image, in all; 0 turns link previews off. Default 5,000 ms. */
  timeoutMs?: number;
  /** Bytes and redirects; default {@link DEFAULT_FETCH_LIMITS} (1 MB of HTML, a 5 MB image, 3 redirects). */
  limits?: Partial<LinkFetchLimits>;
  /**
   * TEST ONLY: also fetch from loopback addresses, where tests serve their
   * pages. Private and every other non-public address stay refused. Default false.
   */
  allowLoopback?: boolean;
  /** TEST ONLY: resolves host names (a name may then resolve to any address). Default `dns.promises.lookup`. */
  lookup?: HostLookup;
}

/** The image stored for a preview, before its File row is written. */
interface StoredImage {
  key: string;
  size: number;
  width: number;
  height: number;
  checksum: string;
}

/**
 * Link previews: the first http(s) link of a message sent with `linkPreview`
 * on is fetched by the server in the background (the link_preview job), and
 * what the page says of itself (title, description, site name, og:image as a
 * thumbnail) is attached to the message as a change: a new rev, messageUpdated
 * to the members and the change feed, with editedAt untouched.
 *
 * Every request goes only to public addresses (lib/public-address.ts, as push
 * endpoints do), redirects included; what is read is bounded (1 MB of HTML,
 * only text/html, 5 s in all); each sender has a budget (RATE_LIMIT_LINK_PREVIEWS),
 * past which messages simply go without. Nothing that fails here fails a send.
 */
export class LinkPreviewsService implements LinkPreviewPort {
  readonly #fetcher: LinkFetcher;
  readonly #timeoutMs: number;
  // Its own, with one worker: previews wait for each other, never for users' uploads, and take one CPU at most.
  readonly #images = new ImageProcessor({ concurrency: 1, maxWaiting: 8 });

  constructor(
    private readonly prisma: PrismaClient,
    private readonly log: MessageLog,
    private readonly jobs: JobQueue,
    private readonly budget: Limiter,
    private readonly media: { store: FileStore; temp: TempDir },
    private readonly logger: Logger,
    options: LinkPreviewsOptions = {},
  ) {
    this.#timeoutMs = options.timeoutMs ?? 5000;
    const guard = new PublicUrlGuard({ name: 'link', protocols: ['https:', 'http:'], allowLoopback: options.allowLoopback, lookup: options.lookup });
    this.#fetcher = new LinkFetcher(guard, { ...DEFAULT_FETCH_LIMITS, ...options.limits });
  }

  /** After a send committed (MessagesService, FilesService): queues the preview of its first link, within the sender's budget. */
  async requested(message: MessageRecord): Promise<void> {
    const url = firstLink(message.text);
    if (this.#timeoutMs === 0 || url === null || message.senderId === null) return;
    try {
      await this.budget.consume(message.senderId);
    } catch (error) {
      if (!hasCode(error, 'RATE_LIMITED')) this.logger.error({ err: error, messageId: message.id }, 'link preview budget unavailable');
      return;
    }
    try {
      await this.jobs.add('link_preview', { messageId: message.id, chatId: message.chatId, url }, { jobKey: `link_preview:${message.id}`, maxAttempts: 2 });
    } catch (error) {
      this.logger.error({ err: error, messageId: message.id }, 'link preview not queued');
    }
  }

  /**
   * The link_preview job: fetches the page (and its image), then attaches what
   * it found under the chat's lock, unless the message was deleted, edited to
   * another link, or has a preview already. Resolves true when one was attached.
   */
  async build(job: LinkPreviewJob): Promise<boolean> {
    const signal = AbortSignal.timeout(this.#timeoutMs);
    let metadata: PageMetadata;
    try {
      const page = await this.#fetcher.page(job.url, signal);
      metadata = readMetadata(page.body, page.charset, page.url);
    } catch (error) {
      if (!(error instanceof LinkFetchError)) throw error;
      this.logger.info({ messageId: job.messageId, reason: error.reason, why: error.message, ...error.details }, 'no link preview');
      return false;
    }
    if (metadata.title === null && metadata.description === null && metadata.siteName === null && metadata.imageUrl === null) return false;
    const owner = await this.prisma.message.findUnique({ where: { id: job.messageId }, select: { senderId: true } });
    if (!owner?.senderId) return false;
    const image = metadata.imageUrl === null ? null : await this.#image(metadata.imageUrl, signal, owner.senderId, job.messageId);
    let attached: MessageRecord | null = null;
    try {
      attached = await this.#attach(job, metadata, image);
      return attached !== null;
    } finally {
      if (image && attached?.previewImageId == null) await this.media.store.delete(image.key);
    }
  }

  /** The og:image as a stored thumbnail; null (a preview without an image) when it cannot be had. No temporary file outlives it. */
  async #image(url: string, signal: AbortSignal, ownerId: string, messageId: string): Promise<StoredImage | null> {
    let response: IncomingMessage | undefined;
    let received: TempFile | undefined;
    const out = this.media.temp.newPath('.webp');
    try {
      response = await this.#fetcher.image(url, signal);
      received = await this.media.temp.receive(response, this.#fetcher.maxImageBytes);
      const type = await detectFileType(received.path);
      if (type?.kind !== 'IMAGE') {
        this.logger.info({ messageId, mime: type?.mime }, 'link preview image is not an image');
        return null;
      }
      const encoded = await this.#images.thumbnail(received.path, type, out, ownerId);
      const checksum = createHash('sha256')
        .update(await readFile(out))
        .digest('hex');
      const key = await this.media.store.putFile(out);
      return { key, size: encoded.size, width: encoded.width, height: encoded.height, checksum };
    } catch (error) {
      const reason = error instanceof LinkFetchError ? error.reason : signal.aborted ? 'timeout' : error instanceof Error ? error.message : 'failed';
      this.logger.info({ messageId, reason }, 'link preview without its image');
      return null;
    } finally {
      response?.destroy();
      await received?.dispose();
      await rm(out, { force: true });
    }
  }

  /** Writes the preview (and its image's File row) and stamps the message, under the chat's lock; null when there is nothing to attach it to. */
  async #attach(job: LinkPreviewJob, metadata: PageMetadata, image: StoredImage | null): Promise<MessageRecord | null> {
    try {
      return await this.log.change(job.chatId, async (change) => {
        const message = await change.tx.message.findUnique({ where: { id: job.messageId }, select: MESSAGE_SELECT });
        // Deleted, edited to another link, or given its preview by an earlier run: nothing to do.
        if (!message || message.senderId === null || message.deletedAt !== null || message.previewUrl !== null || firstLink(message.text) !== job.url) {
          return null;
        }
        const file = image
          ? await change.tx.file.create({
              data: {
                ownerId: message.senderId,
                chatId: job.chatId,
                kind: 'IMAGE',
                mimeType: 'image/webp',
                size: image.size,
                width: image.width,
                height: image.height,
                checksum: image.checksum,
                storageKey: image.key,
              },
              select: { id: true },
            })
          : null;
        await change.tx.message.update({
          where: { id: message.id },
          data: {
            previewUrl: job.url,
            previewTitle: metadata.title,
            previewDescription: metadata.description,
            previewSiteName: metadata.siteName,
            previewImageId: file?.id ?? null,
          },
          select: { id: true },
        });
        return change.stamp(message.id);
      });
    } catch (error) {
      // The chat is gone (deleted with its messages) since the send.
      if (hasCode(error, 'NOT_FOUND')) return null;
      throw error;
    }
  }
}

const hasCode = (error: unknown, code: ErrorCode) => error instanceof AppError && error.code === code;
