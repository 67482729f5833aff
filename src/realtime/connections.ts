/** Something that can be closed with a WebSocket close code. */
export interface Closable {
  close(code: number, reason: string): void;
}

export interface OpenConnection {
  socket: Closable;
  /** The session the socket authenticated with. */
  sessionId: string;
}

/**
 * The open graphql-ws connections of this instance, by user in connection
 * order: a user's sockets can be closed when their account is deactivated, and
 * the oldest makes way when a user opens too many.
 */
export class ConnectionRegistry {
  readonly #byUser = new Map<string, OpenConnection[]>();
  #count = 0;

  /** Adds a connection; returns the user's oldest connections beyond `maxPerUser`, removed. */
  add(userId: string, connection: OpenConnection, maxPerUser = Infinity): OpenConnection[] {
    const own = this.#byUser.get(userId) ?? [];
    own.push(connection);
    this.#byUser.set(userId, own);
    this.#count += 1;
    const evicted = own.length > maxPerUser ? own.splice(0, own.length - maxPerUser) : [];
    this.#count -= evicted.length;
    return evicted;
  }

  remove(userId: string, socket: Closable): void {
    const own = this.#byUser.get(userId);
    const index = own?.findIndex((c) => c.socket === socket) ?? -1;
    if (!own || index < 0) return;
    own.splice(index, 1);
    this.#count -= 1;
    if (own.length === 0) this.#byUser.delete(userId);
  }

  /** Closes every socket of the user; returns how many. */
  closeUser(userId: string, code: number, reason: string): number {
    const own = [...(this.#byUser.get(userId) ?? [])];
    for (const { socket } of own) socket.close(code, reason);
    return own.length;
  }

  /** Closes the user's sockets of these sessions (all when null), except one session's; returns how many. */
  closeSessions(userId: string, sessionIds: readonly string[] | null, exceptSessionId: string | null, code: number, reason: string): number {
    const wanted = sessionIds === null ? null : new Set(sessionIds);
    const own = (this.#byUser.get(userId) ?? []).filter((c) => (wanted === null || wanted.has(c.sessionId)) && c.sessionId !== exceptSessionId);
    for (const { socket } of own) socket.close(code, reason);
    return own.length;
  }

  /** Every open connection. */
  all(): OpenConnection[] {
    return [...this.#byUser.values()].flat();
  }

  get count(): number {
    return this.#count;
  }
}
