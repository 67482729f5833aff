import type { Role } from '../generated/prisma/enums.js';

/** Who is making a request, established from a verified access token. */
export interface Viewer {
  readonly id: string;
  readonly role: Role;
  /** The session (device) the access token belongs to. */
  readonly sessionId: string;
}

export const isAdmin = (viewer: Viewer | null): boolean => viewer?.role === 'ADMIN';

/** Why a presented access token gave no viewer (the auth checker turns it into a message). */
export type AuthFailure = 'expired' | 'invalid' | 'revoked' | 'deactivated';
