import { Field, Int, ObjectType } from 'type-graphql';

/** My unread totals across my chats (see UnreadService.totals for what counts). */
export interface UnreadTotals {
  messages: number;
  chats: number;
  mentions: number;
}

@ObjectType('UnreadSummary', {
  description:
    'My unread totals, for an app icon badge or a tab title. Archived chats never count; muted ones count only their mentions, and only at notifyLevel MENTIONS.',
})
export class UnreadSummary implements UnreadTotals {
  @Field(() => Int, { description: 'Unread messages in my chats that are neither muted nor archived (the sum of their unreadCount).' })
  messages!: number;

  @Field(() => Int, { description: 'My chats, neither muted nor archived, with anything unread; a chat I marked unread counts (and as 1 message).' })
  chats!: number;

  @Field(() => Int, { description: 'Unread messages mentioning me, in chats not archived and either not muted or muted at notifyLevel MENTIONS.' })
  mentions!: number;
}
