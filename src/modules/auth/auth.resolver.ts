import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { AllowedDuringPasswordChange } from '../../graphql/auth-checker.js';
import { CurrentViewer } from '../../graphql/current-viewer.js';
import type { Viewer } from '../../lib/viewer.js';
import type { ClientInfo } from './auth.service.js';
import { AuthPayload, LoginInput, RegisterInput, Session } from './auth.types.js';

const clientOf = (ctx: Context): ClientInfo => ({ ip: ctx.clientIp, userAgent: ctx.userAgent });

@Resolver()
export class AuthResolver {
  // Public on purpose: these are how a client gets a token in the first place.
  @Mutation(() => AuthPayload, { description: 'Creates an account and signs it in.' })
  register(@Arg('input', () => RegisterInput) input: RegisterInput, @Ctx() ctx: Context) {
    return ctx.services.auth.register(input, clientOf(ctx));
  }

  @Mutation(() => AuthPayload)
  login(@Arg('input', () => LoginInput) input: LoginInput, @Ctx() ctx: Context) {
    return ctx.services.auth.login(input, clientOf(ctx));
  }

  @Mutation(() => AuthPayload, {
    description:
      'Rotates: the refresh token given stops working, except that within REFRESH_GRACE_SECONDS (30) a retry of a refresh whose answer was lost gets a new pair.',
  })
  refreshToken(@Arg('refreshToken', () => String) refreshToken: string, @Ctx() ctx: Context) {
    return ctx.services.auth.refresh(refreshToken, clientOf(ctx));
  }

  @Mutation(() => Boolean, { description: 'Ends the session of this refresh token; false when it was not open.' })
  logout(@Arg('refreshToken', () => String) refreshToken: string, @Ctx() ctx: Context) {
    return ctx.services.auth.logout(refreshToken);
  }

  @Authorized()
  @AllowedDuringPasswordChange()
  @Mutation(() => Boolean, { description: 'Also ends every other session of the account.' })
  changePassword(
    @Arg('currentPassword', () => String) currentPassword: string,
    @Arg('newPassword', () => String) newPassword: string,
    @CurrentViewer() viewer: Viewer,
    @Ctx() ctx: Context,
  ) {
    return ctx.services.auth.changePassword(viewer, currentPassword, newPassword);
  }

  @Authorized()
  @Query(() => [Session], { description: 'My live sessions (not ended, not expired), newest first; at most 50.' })
  mySessions(@CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.auth.sessions(viewer);
  }

  @Authorized()
  @Mutation(() => Boolean, {
    description:
      "Ends one of my sessions: its tokens and sockets at once; my current one works as logout. False when it had already ended; another user's is NOT_FOUND.",
  })
  revokeSession(@Arg('id', () => ID) id: string, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.auth.revokeSession(viewer, id);
  }

  @Authorized()
  @Mutation(() => [String], {
    description: '10 single-use recovery codes, replacing any earlier ones; shown only in this answer. A wrong password is BAD_USER_INPUT (field password).',
  })
  createRecoveryCodes(@Arg('password', () => String) password: string, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.auth.createRecoveryCodes(viewer, password, clientOf(ctx));
  }

  // Public on purpose: whoever lost the password has no token.
  @Mutation(() => Boolean, {
    description:
      'Sets a new password with one of the account’s recovery codes (used up) and ends every session; then sign in. Budgeted like login; a wrong username or code is UNAUTHENTICATED (reason INVALID_CREDENTIALS).',
  })
  resetPasswordWithRecoveryCode(
    @Arg('username', () => String) username: string,
    @Arg('code', () => String) code: string,
    @Arg('newPassword', () => String) newPassword: string,
    @Ctx() ctx: Context,
  ) {
    return ctx.services.auth.resetPasswordWithRecoveryCode(username, code, newPassword, clientOf(ctx));
  }
}
