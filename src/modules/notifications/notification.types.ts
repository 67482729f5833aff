import { Field, ID, Int, ObjectType } from 'type-graphql';
import { connectionTypes } from '../../lib/relay.js';

export const NotificationType = {
  NEW_MESSAGE: 'NEW_MESSAGE',
  ADDED_TO_GROUP: 'ADDED_TO_GROUP',
  REMOVED_FROM_GROUP: 'REMOVED_FROM_GROUP',
  GROUP_RENAMED: 'GROUP_RENAMED',
} as const;

export interface NotificationRecord {
  id: string;
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

  @Field(() => String, { description: 'NEW_MESSAGE, ADDED_TO_GROUP, REMOVED_FROM_GROUP or GROUP_RENAMED.' })
  type!: string;

  @Field(() => String)
  title!: string;

  @Field(() => String, { nullable: true, description: 'For NEW_MESSAGE: a preview of the latest message (at most 100 characters).' })
  body!: string | null;

  @Field(() => String, { nullable: true, description: 'JSON text with the ids to open the right screen, e.g. {"chatId":"…","messageId":"…"}.' })
  data!: string | null;

  @Field(() => Int, { description: 'Events this stands for: unread NEW_MESSAGEs of one chat are coalesced into one notification.' })
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
