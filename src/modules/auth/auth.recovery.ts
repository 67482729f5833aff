import { createHash, randomBytes } from 'node:crypto';

/** Codes in one set (createRecoveryCodes). */
export const RECOVERY_CODE_COUNT = 10;

// Crockford's base32: no I, L, O or U, so a code copied from paper reads back the same.
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
/** Longer input is not a code of ours: refused before it is hashed. */
const MAX_CODE_INPUT = 64;

/**
 * A fresh code: 10 random bytes (80 bits) as 16 base32 characters, shown in
 * four groups (`7k2m-q9xd-…`). Users type it back, so it is short; it is as
 * strong as it is because it is random, not because it is secret in the database.
 */
export function newRecoveryCode(): string {
  const bytes = randomBytes(10);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out.match(/.{4}/g)!.join('-');
}

/**
 * What is stored of a code, or null when the input cannot be one. Codes are
 * kept as sha256, not argon2 like passwords: argon2 is slow on purpose (×10
 * per set, and once per try) to protect guessable secrets, but a code carries
 * 80 random bits, so even a stolen table leaves 2^80 sha256 guesses per code.
 * No server secret is mixed in (HMAC), so rotating JWT_SECRET keeps every
 * user's codes working. Case, dashes, spaces and Crockford's look-alikes
 * (o→0, i/l→1) do not matter.
 */
export function hashRecoveryCode(input: string): string | null {
  if (input.length > MAX_CODE_INPUT) return null;
  const code = input.toLowerCase().replace(/[\s-]/g, '').replace(/o/g, '0').replace(/[il]/g, '1');
  if (!/^[0-9a-hjkmnp-tv-z]{16}$/.test(code)) return null;
  return createHash('sha256').update(`payamak-recovery-code:${code}`).digest('hex');
}
