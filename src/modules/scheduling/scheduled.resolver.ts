import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { CurrentViewer } from '../../graphql/current-viewer.js';
import { PageArgs } from '../../graphql/page-args.js';
import { notFound } from '../../lib/errors.js';
import type { Viewer } from '../../lib/viewer.js';
import { Chat, type ChatRecord } from '../chats/index.js';
import { Message, viewOf, type MessageRecord } from '../messages/index.js';
import { ScheduleMessageInput, UpdateScheduledMessageInput } from './scheduled.inputs.js';
import { ScheduledMessage, ScheduledMessageConnection, ScheduledStatus, type ScheduledRecord } from './scheduled.types.js';

@Resolver(() => ScheduledMessage)
export class ScheduledMessagesResolver {
  @Authorized()
  @Mutation(() => ScheduledMessage, {
    description:
      'Sends a message at sendAt (1 minute to 1 year ahead; SCHEDULE_MIN_LEAD_SECONDS) in a chat I am in (NOT_FOUND otherwise; FORBIDDEN in an ' +
      'announcement group I do not administer). At sendAt it is sent as sendMessage would, checked again then; if refused it becomes FAILED ' +
      'and I get a SCHEDULED_FAILED notification. At most 500 waiting per user.',
  })
  scheduleMessage(@Arg('input', () => ScheduleMessageInput) input: ScheduleMessageInput, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.scheduledMessages.schedule(viewer, ctx.loaders, input);
  }

  @Authorized()
  @Mutation(() => ScheduledMessage, { description: 'New text or sendAt of one of mine, while it is SCHEDULED (BAD_USER_INPUT after; NOT_FOUND for others).' })
  updateScheduledMessage(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateScheduledMessageInput) input: UpdateScheduledMessageInput,
    @CurrentViewer() viewer: Viewer,
    @Ctx() ctx: Context,
  ) {
    return ctx.services.scheduledMessages.update(viewer, id, input);
  }

  @Authorized()
  @Mutation(() => Boolean, { description: 'Cancels one of mine while SCHEDULED: it is never sent. True again for one already cancelled.' })
  cancelScheduledMessage(@Arg('id', () => ID) id: string, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.scheduledMessages.cancel(viewer, id);
  }

  @Authorized()
  @Query(() => ScheduledMessageConnection, {
    description: 'My scheduled messages, in one chat or all, soonest sendAt first: by default those SCHEDULED and FAILED; `status` picks one.',
  })
  scheduledMessages(
    @Arg('chatId', () => ID, { nullable: true }) chatId: string | null,
    @Arg('status', () => ScheduledStatus, { nullable: true }) status: ScheduledStatus | null,
    @Args(() => PageArgs) { first, after }: PageArgs,
    @CurrentViewer() viewer: Viewer,
    @Ctx() ctx: Context,
  ) {
    return ctx.services.scheduledMessages.list(viewer, { chatId, status, first, after });
  }

  @FieldResolver(() => Chat)
  async chat(@Root() row: ScheduledRecord, @Ctx() ctx: Context): Promise<ChatRecord> {
    const chat = await ctx.loaders.chatById.load(row.chatId);
    if (!chat) throw notFound('Chat');
    return chat;
  }

  @FieldResolver(() => Message, { nullable: true, description: 'The message it answers, as I see it now.' })
  async replyTo(@Root() row: ScheduledRecord, @Ctx() ctx: Context): Promise<MessageRecord | null> {
    return row.replyToId === null ? null : this.#message(row.replyToId, ctx);
  }

  @FieldResolver(() => Message, { nullable: true, description: 'Once SENT: the message, as I see it now.' })
  async message(@Root() row: ScheduledRecord, @Ctx() ctx: Context): Promise<MessageRecord | null> {
    return row.messageId === null ? null : this.#message(row.messageId, ctx);
  }

  async #message(id: string, ctx: Context): Promise<MessageRecord | null> {
    const message = await ctx.loaders.messageById.load(id);
    return message && viewOf(ctx.loaders, ctx.viewer, message);
  }
}
