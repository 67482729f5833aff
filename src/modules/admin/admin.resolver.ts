import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { CurrentViewer } from '../../graphql/current-viewer.js';
import type { Viewer } from '../../lib/viewer.js';
import { MessageConnection } from '../messages/index.js';
import { Role, User, UserConnection, type UserRecord } from '../users/index.js';
import { ActivityHour, AdminAuditConnection, AdminAuditEntry, AdminStats, Health, type AuditRecord } from './admin.types.js';
import { PageArgs } from '../../graphql/page-args.js';

// Every operation here is for role ADMIN: others get FORBIDDEN (signed out: UNAUTHENTICATED).
@Resolver(() => AdminAuditEntry)
export class AdminResolver {
  @Authorized('ADMIN')
  @Query(() => AdminStats)
  adminStats(@Ctx() ctx: Context) {
    return ctx.services.admin.stats();
  }

  @Authorized('ADMIN')
  @Query(() => Health)
  adminHealth(@Ctx() ctx: Context) {
    return ctx.services.admin.health();
  }

  @Authorized('ADMIN')
  @Query(() => [ActivityHour], { description: "Messages per hour for the last `hours` hours (1–168), the current hour last: the admin screen's chart." })
  adminActivity(@Arg('hours', () => Int) hours: number, @Ctx() ctx: Context) {
    return ctx.services.admin.activity(hours);
  }

  @Authorized('ADMIN')
  @Query(() => UserConnection, { description: 'Every account, active or not (filter with `active`), by username.' })
  adminUsers(
    @Arg('search', () => String, { nullable: true }) search: string | null,
    @Arg('active', () => Boolean, { nullable: true }) active: boolean | null,
    @Args(() => PageArgs) { first, after }: PageArgs,
    @Ctx() ctx: Context,
  ) {
    return ctx.services.users.search({ search, active, first, after });
  }

  @Authorized('ADMIN')
  @Query(() => MessageConnection, { description: 'Newest first. Every call is written to the audit log.' })
  adminMessages(
    @Arg('chatId', () => ID, { nullable: true }) chatId: string | null,
    @Arg('senderId', () => ID, { nullable: true }) senderId: string | null,
    @Args(() => PageArgs) { first, after }: PageArgs,
    @CurrentViewer() viewer: Viewer,
    @Ctx() ctx: Context,
  ) {
    return ctx.services.admin.messages(viewer, { chatId, senderId, first, after });
  }

  @Authorized('ADMIN')
  @Query(() => AdminAuditConnection, { description: 'Admin reads of messages and admin changes, newest first.' })
  adminAuditLog(@Args(() => PageArgs) { first, after }: PageArgs, @Ctx() ctx: Context) {
    return ctx.services.admin.auditLog({ first, after });
  }

  @Authorized('ADMIN')
  @Mutation(() => User, { description: "Deactivating ends the user's sessions at once and closes their sockets with 4403." })
  adminSetUserActive(
    @Arg('userId', () => ID) userId: string,
    @Arg('active', () => Boolean) active: boolean,
    @CurrentViewer() viewer: Viewer,
    @Ctx() ctx: Context,
  ) {
    return ctx.services.admin.setActive(viewer, userId, active);
  }

  @Authorized('ADMIN')
  @Mutation(() => User)
  adminSetUserRole(@Arg('userId', () => ID) userId: string, @Arg('role', () => Role) role: Role, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.admin.setRole(viewer, userId, role);
  }

  @Authorized('ADMIN')
  @Mutation(() => String, {
    description:
      'A temporary password for the user, shown only in this answer (audited, never logged). Every session of theirs ends; at their next sign-in login answers mustChangePassword: true, and only changePassword and me work until they change it.',
  })
  adminResetPassword(@Arg('userId', () => ID) userId: string, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.admin.resetPassword(viewer, userId);
  }

  @FieldResolver(() => User, { nullable: true, description: 'Null when that admin account was deleted.' })
  admin(@Root() entry: AuditRecord, @Ctx() ctx: Context): Promise<UserRecord | null> | null {
    return entry.adminId ? ctx.loaders.userById.load(entry.adminId) : null;
  }
}
