/** Whether a value that may be awaited is a promise (or thenable), so a caller can skip a tick when it is not. */
export function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as PromiseLike<T> | null)?.then === 'function';
}
