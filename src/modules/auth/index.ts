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
  type AuthResult,
  type ClientInfo,
} from './auth.service.js';
export { TokenIssuer, type TokenIssuerOptions } from './auth.tokens.js';
export { AuthResolver } from './auth.resolver.js';
export { hashPassword } from './auth.passwords.js';
export { AuthTopic, type SocketsToClosePayload } from './auth.topics.js';
