/** Something that can be closed with a WebSocket close code. */
export interface Closable {
  close(code: number, reason: string): void;
}

/**
 * The open graphql-ws connections of this instance, by user, so a user's
 * sockets can be closed when their account is deactivated.
 */
export class ConnectionRegistry {
  readonly #byUser = new Map<string, Set<Closable>>();
  #count = 0;

  add(userId: string, socket: Closable): void {
    let sockets = this.#byUser.get(userId);
    if (!sockets) this.#byUser.set(userId, (sockets = new Set()));
    if (!sockets.has(socket)) this.#count += 1;
    sockets.add(socket);
  }

  remove(userId: string, socket: Closable): void {
    const sockets = this.#byUser.get(userId);
    if (!sockets?.delete(socket)) return;
    this.#count -= 1;
    if (sockets.size === 0) this.#byUser.delete(userId);
  }

  /** Closes every socket of the user; returns how many. */
  closeUser(userId: string, code: number, reason: string): number {
    const sockets = [...(this.#byUser.get(userId) ?? [])];
    for (const socket of sockets) socket.close(code, reason);
    return sockets.length;
  }

  get count(): number {
    return this.#count;
  }
}
