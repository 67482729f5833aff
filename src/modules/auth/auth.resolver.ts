import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { CurrentViewer } from '../../graphql/current-viewer.js';
import type { Viewer } from '../../lib/viewer.js';
import { AuthPayload, LoginInput, RegisterInput } from './auth.types.js';

@Resolver()
export class AuthResolver {
  // Public on purpose: these are how a client gets a token in the first place.
  @Mutation(() => AuthPayload, { description: 'Creates an account and signs it in.' })
  register(@Arg('input', () => RegisterInput) input: RegisterInput, @Ctx() ctx: Context) {
    return ctx.services.auth.register(input, { ip: ctx.clientIp });
  }

  @Mutation(() => AuthPayload)
  login(@Arg('input', () => LoginInput) input: LoginInput, @Ctx() ctx: Context) {
    return ctx.services.auth.login(input, { ip: ctx.clientIp });
  }

  @Mutation(() => AuthPayload, { description: 'Rotates: the refresh token given stops working.' })
  refreshToken(@Arg('refreshToken', () => String) refreshToken: string, @Ctx() ctx: Context) {
    return ctx.services.auth.refresh(refreshToken, { ip: ctx.clientIp });
  }

  @Mutation(() => Boolean, { description: 'Ends the session of this refresh token; false when it was not open.' })
  logout(@Arg('refreshToken', () => String) refreshToken: string, @Ctx() ctx: Context) {
    return ctx.services.auth.logout(refreshToken);
  }

  @Authorized()
  @Mutation(() => Boolean, { description: 'Also ends every other session of the account.' })
  changePassword(
    @Arg('currentPassword', () => String) currentPassword: string,
    @Arg('newPassword', () => String) newPassword: string,
    @CurrentViewer() viewer: Viewer,
    @Ctx() ctx: Context,
  ) {
    return ctx.services.auth.changePassword(viewer, currentPassword, newPassword);
  }
}
