import { Arg, Args, Authorized, Ctx, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { CurrentViewer } from '../../graphql/current-viewer.js';
import { AuthReason, unauthenticated } from '../../lib/errors.js';
import type { Viewer } from '../../lib/viewer.js';
import { Notification, NotificationConnection, type NotificationRecord } from './notification.types.js';
import { type NotificationPayload } from './notification.topics.js';
import { PageArgs } from '../../graphql/page-args.js';

@Resolver(() => Notification)
export class NotificationsResolver {
  @Authorized()
  @Query(() => NotificationConnection, { description: 'Mine, most recently changed first.' })
  notifications(
    @Arg('unreadOnly', () => Boolean, { nullable: true }) unreadOnly: boolean | null,
    @Args(() => PageArgs) { first, after }: PageArgs,
    @CurrentViewer() viewer: Viewer,
    @Ctx() ctx: Context,
  ) {
    return ctx.services.notifications.list(viewer, { unreadOnly, first, after });
  }

  @Authorized()
  @Query(() => Int)
  unreadNotificationCount(@CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.notifications.unreadCount(viewer);
  }

  @Authorized()
  @Query(() => String, { description: 'The VAPID public key to pass to PushManager.subscribe() as applicationServerKey.' })
  pushPublicKey(@Ctx() ctx: Context): string {
    return ctx.services.vapidPublicKey;
  }

  @Authorized()
  @Mutation(() => Notification)
  markNotificationRead(@Arg('id', () => ID) id: string, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.notifications.markRead(viewer, id);
  }

  @Authorized()
  @Mutation(() => Int, { description: 'How many changed.' })
  markAllNotificationsRead(@CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.notifications.markAllRead(viewer);
  }

  @Authorized()
  @Mutation(() => Boolean)
  deleteNotification(@Arg('id', () => ID) id: string, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.notifications.delete(viewer, id);
  }

  @Authorized()
  @Mutation(() => Boolean, { description: "Registers this device's Web Push subscription (PushSubscription.toJSON(): endpoint, keys.p256dh, keys.auth)." })
  registerPushSubscription(
    @Arg('endpoint', () => String) endpoint: string,
    @Arg('p256dh', () => String) p256dh: string,
    @Arg('auth', () => String) auth: string,
    @CurrentViewer() viewer: Viewer,
    @Ctx() ctx: Context,
  ) {
    return ctx.services.notifications.registerPush(viewer, { endpoint, p256dh, auth });
  }

  @Authorized()
  @Mutation(() => Boolean, { description: 'False when this endpoint was not registered to me.' })
  unregisterPushSubscription(@Arg('endpoint', () => String) endpoint: string, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.notifications.unregisterPush(viewer, endpoint);
  }

  @Authorized()
  @Subscription(() => Notification, {
    description: 'New notifications, and coalesced ones when they change.',
    subscribe: ({ context }: { context: Context }) => {
      if (!context.viewer) throw unauthenticated(AuthReason.TOKEN_INVALID, 'Subscriptions need a signed-in WebSocket connection');
      return context.services.notifications.subscribe(context.viewer);
    },
  })
  notification(@Root() payload: NotificationPayload): NotificationRecord {
    return { ...payload, createdAt: new Date(payload.createdAt), updatedAt: new Date(payload.updatedAt) };
  }
}
