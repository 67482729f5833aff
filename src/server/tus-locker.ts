import { ERRORS, type Lock, type Locker, type RequestRelease } from '@tus/server';
import pg from 'pg';
import type { Logger } from '../lib/logger.js';

/** Options for {@link PgAdvisoryLocker}. */
export interface PgAdvisoryLockerOptions {
  /** The app's database (the runtime role). */
  databaseUrl: string;
  logger: Logger;
  /**
   * Connections the locks may hold at once: each upload being written (a
   * PATCH) or read (a HEAD) holds one while it runs.
   * @defaultValue 20
   */
  maxConnections?: number;
  /** How long a request waits for an upload's lock before it gives up (tus answers 500, the client retries). @defaultValue 30,000 ms */
  acquireTimeoutMs?: number;
  /** How often a waiting request tries again. @defaultValue 50 ms */
  retryMs?: number;
}

const CHANNEL = 'payamak_tus_release';

/**
 * The tus server's lock per upload, shared by every instance: a PostgreSQL
 * session advisory lock on `tus:<id>`, held on a connection of a small pool
 * of its own for as long as the request needs it (a PATCH streams for
 * minutes, longer than a transaction should stay open on the app's pool). A
 * crashed instance's locks go with its connections.
 *
 * tus asks the holder to let go when another request wants the lock (a client
 * that lost its connection resumes before the server has noticed): the
 * waiter says so with NOTIFY, and the instance holding it cancels its
 * request, wherever it runs; without load balancer stickiness that is
 * usually another instance.
 */
export class PgAdvisoryLocker implements Locker {
  readonly #pool: pg.Pool;
  readonly #holders = new Map<string, RequestRelease>();
  readonly #logger: Logger;
  readonly acquireTimeoutMs: number;
  readonly retryMs: number;
  #listener: Promise<pg.PoolClient | null> | undefined;
  #closed = false;

  constructor(options: PgAdvisoryLockerOptions) {
    this.#pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.maxConnections ?? 20, idleTimeoutMillis: 30_000 });
    this.#pool.on('error', (error) => options.logger.warn({ err: error }, 'idle lock connection failed'));
    this.#logger = options.logger;
    this.acquireTimeoutMs = options.acquireTimeoutMs ?? 30_000;
    this.retryMs = options.retryMs ?? 50;
  }

  newLock(id: string): Lock {
    this.#listen();
    return new PgAdvisoryLock(this, id);
  }

  /** Checks out a connection for a lock. */
  connect(): Promise<pg.PoolClient> {
    return this.#pool.connect();
  }

  held(id: string, release: RequestRelease): void {
    this.#holders.set(id, release);
  }

  released(id: string): void {
    this.#holders.delete(id);
  }

  /** Asks whoever holds the lock to let go: here directly, and every other instance through NOTIFY. */
  async requestRelease(id: string): Promise<void> {
    const local = this.#holders.get(id);
    if (local) await local();
    else await this.#pool.query('SELECT pg_notify($1, $2)', [CHANNEL, id]);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const listener = await this.#listener?.catch(() => null);
    listener?.release(true);
    await this.#pool.end();
  }

  /** One connection per instance listens for release requests, from the first lock on. */
  #listen(): void {
    this.#listener ??= (async () => {
      if (this.#closed) return null;
      const client = await this.#pool.connect();
      client.on('notification', (message) => {
        const release = message.payload ? this.#holders.get(message.payload) : undefined;
        if (release) Promise.resolve(release()).catch((error: unknown) => this.#logger.warn({ err: error }, 'tus lock release failed'));
      });
      client.on('error', (error) => {
        this.#logger.warn({ err: error }, 'tus lock listener failed');
        // The next lock listens afresh.
        this.#listener = undefined;
      });
      await client.query(`LISTEN ${CHANNEL}`);
      return client;
    })().catch((error: unknown) => {
      this.#logger.warn({ err: error }, 'tus lock listener could not start');
      this.#listener = undefined;
      return null;
    });
  }
}

class PgAdvisoryLock implements Lock {
  #client: pg.PoolClient | undefined;

  constructor(
    private readonly locker: PgAdvisoryLocker,
    private readonly id: string,
  ) {}

  async lock(signal: AbortSignal, requestRelease: RequestRelease): Promise<void> {
    const client = await this.locker.connect();
    const deadline = Date.now() + this.locker.acquireTimeoutMs;
    try {
      for (let asked = false; ; ) {
        if (signal.aborted) throw ERRORS.ERR_LOCK_TIMEOUT;
        const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok', [`tus:${this.id}`]);
        if (rows[0]!.ok) break;
        if (Date.now() >= deadline) throw ERRORS.ERR_LOCK_TIMEOUT;
        if (!asked) {
          asked = true;
          await this.locker.requestRelease(this.id);
        }
        await new Promise((resolve) => setTimeout(resolve, this.locker.retryMs));
      }
    } catch (error) {
      client.release();
      throw error;
    }
    this.#client = client;
    this.locker.held(this.id, requestRelease);
  }

  async unlock(): Promise<void> {
    const client = this.#client;
    if (!client) return;
    this.#client = undefined;
    this.locker.released(this.id);
    try {
      await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [`tus:${this.id}`]);
      client.release();
    } catch (error) {
      // Closing the connection ends the session, and with it the lock.
      client.release(error as Error);
    }
  }
}
