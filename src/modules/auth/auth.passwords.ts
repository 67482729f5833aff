import { randomInt } from 'node:crypto';
import argon2 from 'argon2';

// OWASP Password Storage Cheat Sheet, argon2id: 19 MiB, 2 iterations, 1 lane.
const OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, OPTIONS);
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

// Verified against when the username is unknown, so a failed login takes as long
// either way and does not tell an attacker which usernames exist.
let dummyHash: Promise<string> | undefined;
export async function burnPasswordCheck(password: string): Promise<void> {
  dummyHash ??= hashPassword('payamak-dummy-password');
  await verifyPassword(await dummyHash, password);
}

/** Letters and digits no one misreads when copying a password by hand (no 0/O, 1/l/I). */
const TEMPORARY_ALPHABET = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/**
 * A temporary password for adminResetPassword: 16 characters of a 56-letter
 * alphabet, ~93 bits, far beyond guessing within the sign-in budgets. Drawn
 * without modulo bias (randomInt).
 */
export function temporaryPassword(): string {
  return Array.from({ length: 16 }, () => TEMPORARY_ALPHABET[randomInt(TEMPORARY_ALPHABET.length)]).join('');
}
