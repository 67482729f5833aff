import type { AuthService } from './auth.service.js';

// What this module adds to every resolver's context (graphql/context.ts).
declare module '../../graphql/context.js' {
  interface Services {
    auth: AuthService;
  }
}

export {
  AuthService,
  AuthFailureError,
  ensureAdminAccount,
  releaseUsername,
  USERNAME_RESERVED_DAYS,
  MAX_SESSIONS_PER_USER,
  type AuthResult,
  type AuthServiceOptions,
  type ClientInfo,
  type SessionRecord,
} from './auth.service.js';
export { TokenIssuer, type TokenIssuerOptions } from './auth.tokens.js';
export { AuthResolver } from './auth.resolver.js';
export { hashPassword, temporaryPassword } from './auth.passwords.js';
export { Session } from './auth.types.js';
export { AuthTopic, type SocketsToClosePayload } from './auth.topics.js';
