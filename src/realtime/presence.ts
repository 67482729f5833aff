/**
 * Counts each user's open connections on this instance: a user with several
 * devices stays online until the last one goes.
 */
export class PresenceTracker {
  readonly #connections = new Map<string, number>();

  /** Returns true when this was the user's first connection. */
  connect(userId: string): boolean {
    const count = (this.#connections.get(userId) ?? 0) + 1;
    this.#connections.set(userId, count);
    return count === 1;
  }

  /** Returns true when this was the user's last connection. */
  disconnect(userId: string): boolean {
    const count = (this.#connections.get(userId) ?? 0) - 1;
    if (count > 0) {
      this.#connections.set(userId, count);
      return false;
    }
    this.#connections.delete(userId);
    return true;
  }

  isOnline(userId: string): boolean {
    return this.#connections.has(userId);
  }

  get onlineCount(): number {
    return this.#connections.size;
  }
}
