/**
 * Budget for uploads per user (`RATE_LIMIT_UPLOADS`). Services call `consume`
 * once per upload, after the cheap checks (membership, idempotent retry) and
 * before reading the file; it throws RATE_LIMITED (`rateLimited()` from
 * lib/errors, with retryAfterSeconds) when the user is over budget.
 */
export interface UploadLimiter {
  consume(userId: string): Promise<void>;
}

/** No limit: the default until the rate limiters are wired in. */
export const unlimitedUploads: UploadLimiter = {
  async consume() {},
};
