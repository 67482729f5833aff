import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { connectionTypes } from '../../lib/relay.js';

/** What a notification is about (docs/api-contract.md). The column is text: see {@link NOTIFICATION_TYPES}. */
export const NotificationType = {
  NEW_MESSAGE: 'NEW_MESSAGE',
  ADDED_TO_GROUP: 'ADDED_TO_GROUP',
  REMOVED_FROM_GROUP: 'REMOVED_FROM_GROUP',
  GROUP_RENAMED: 'GROUP_RENAMED',
  MENTION: 'MENTION',
  REACTION: 'REACTION',
  JOIN_REQUEST: 'JOIN_REQUEST',
  JOIN_APPROVED: 'JOIN_APPROVED',
  JOIN_DECLINED: 'JOIN_DECLINED',
  SCHEDULED_FAILED: 'SCHEDULED_FAILED',
  GROUP_INVITATION: 'GROUP_INVITATION',
} as const;
export type NotificationType = (typeof NotificationType)[keyof typeof NotificationType];
registerEnumType(NotificationType, { name: 'NotificationType' });

/**
 * The values `Notification.type` can represent. The column stays a string
 * (rows written by a newer server, or by hand, may hold anything): rows of any
 * other type are left out of every read (lists, counts, the subscription, by
 * id) rather than failing the enum and with it the whole list. They reappear
 * unchanged once a server knows their type.
 */
export const NOTIFICATION_TYPES: readonly NotificationType[] = Object.values(NotificationType);

export const isNotificationType = (type: string): type is NotificationType => (NOTIFICATION_TYPES as readonly string[]).includes(type);

export interface NotificationRecord {
  id: string;
  /** A {@link NotificationType} for every row the API hands out (see NOTIFICATION_TYPES). */
  type: string;
  title: string;
  body: string | null;
  data: string | null;
  count: number;
  read: boolean;
  createdAt: Date;
  updatedAt: Date;
}

@ObjectType('Notification')
export class Notification {
  @Field(() => ID)
  id!: string;

  @Field(() => NotificationType)
  type!: NotificationType;

  @Field(() => String)
  title!: string;

  @Field(() => String, { nullable: true, description: 'For NEW_MESSAGE: a preview of the latest message (at most 100 characters).' })
  body!: string | null;

  @Field(() => String, { nullable: true, description: 'JSON text with the ids to open the right screen, e.g. {"chatId":"…","messageId":"…"}.' })
  data!: string | null;

  @Field(() => Int, {
    description: 'Events this stands for: unread NEW_MESSAGEs of one chat, and REACTIONs to one message, are coalesced into one notification.',
  })
  count!: number;

  @Field(() => Boolean)
  read!: boolean;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { description: 'Last change (a newer message coalesced into it).' })
  updatedAt!: Date;
}

export const NotificationConnection = connectionTypes('Notification', Notification, { totalCount: true });

export const NOTIFICATION_SELECT = {
  id: true,
  type: true,
  title: true,
  body: true,
  data: true,
  count: true,
  read: true,
  createdAt: true,
  updatedAt: true,
} as const;
