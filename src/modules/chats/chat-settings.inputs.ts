import { Field, InputType } from 'type-graphql';
import { ChatKind, NotifyLevel } from './chat.types.js';

@InputType('ChatSettingsInput', { description: 'My settings for one chat; fields left out stay as they are.' })
export class ChatSettingsInput {
  @Field(() => Boolean, { nullable: true, description: 'true: muted (until mutedUntil, or for ever without it); false: unmuted.' })
  muted?: boolean | null;

  @Field(() => Date, { nullable: true, description: 'Muted until this time (in the future, within a year); implies muted.' })
  mutedUntil?: Date | null;

  @Field(() => Boolean, { nullable: true, description: 'Archived chats leave the main list; a new message does not bring them back.' })
  archived?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: 'Pinned to the top of my list; at most 5.' })
  pinned?: boolean | null;

  @Field(() => NotifyLevel, { nullable: true })
  notifyLevel?: NotifyLevel | null;

  @Field(() => Boolean, { nullable: true, description: 'Shown as unread (unreadCount at least 1) until I read the chat.' })
  markedUnread?: boolean | null;
}

@InputType('ChatFilter', { description: 'Which of my chats to list; without it, those not archived.' })
export class ChatFilter {
  @Field(() => Boolean, { nullable: true, description: 'true: only archived ones; false (the default): only the others.' })
  archived?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: 'true: only those with unread messages (or marked unread); false: only the others.' })
  unread?: boolean | null;

  @Field(() => ChatKind, { nullable: true })
  kind?: ChatKind | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'true: only pinned chats, most recently pinned first (draw them above the rest); false: only the others.',
  })
  pinned?: boolean | null;
}
