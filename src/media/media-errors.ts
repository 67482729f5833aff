import { AppError, ErrorCode } from '../lib/errors.js';

export const payloadTooLarge = (message: string) => new AppError(ErrorCode.PAYLOAD_TOO_LARGE, message);
export const unsupportedMediaType = (message: string) => new AppError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, message);

/** "5 MiB", "100 MiB": how limits are shown to people. */
export function formatBytes(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return Number.isInteger(mib) ? `${mib} MiB` : `${bytes} bytes`;
}
