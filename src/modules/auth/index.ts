export { AuthService, AuthFailureError, ensureAdminAccount, type AuthFailure, type AuthResult, type ClientInfo } from './auth.service.js';
export { TokenIssuer, type TokenIssuerOptions } from './auth.tokens.js';
export { AuthResolver } from './auth.resolver.js';
export { hashPassword } from './auth.passwords.js';
