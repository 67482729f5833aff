import { randomBytes } from 'node:crypto';
import { notFound } from '../../lib/errors.js';

/** Random bytes in a code: 128 bits, 22 characters of base64url. */
const CODE_BYTES = 16;
const CODE_FORMAT = /^[A-Za-z0-9_-]{22}$/;

/** A new invite code: unguessable (128 bits from the system's CSPRNG), URL-safe, 22 characters. */
export const newInviteCode = (): string => randomBytes(CODE_BYTES).toString('base64url');

/** Whether `code` could be one of ours; anything else is refused without a look-up. */
export const isInviteCode = (code: string): boolean => CODE_FORMAT.test(code);

/**
 * The one answer for a code that does not let the viewer in: unknown,
 * revoked, expired, used up, or someone else's invitation. Telling them apart
 * would tell a guesser which codes exist.
 */
export const unknownInvite = () => notFound('Invite link');
