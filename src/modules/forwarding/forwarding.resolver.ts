import { Arg, Authorized, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { CurrentViewer } from '../../graphql/current-viewer.js';
import type { Viewer } from '../../lib/viewer.js';
import { Message, type MessageRecord } from '../messages/index.js';

@Resolver()
export class ForwardingResolver {
  @Authorized()
  @Mutation(() => [Message], {
    description:
      'Sends a copy of a message you can see to 1–5 chats of yours, all or none; the copies come back in the order of toChatIds. ' +
      'A copy keeps the kind, the text and the file (not the reply), is sent by you, and has forwardCount one above the source. ' +
      'With clientId, a retry returns the same copies.',
  })
  forwardMessage(
    @Arg('messageId', () => ID) messageId: string,
    @Arg('toChatIds', () => [ID]) toChatIds: string[],
    @Arg('clientId', () => String, {
      nullable: true,
      description: 'Your idempotency key for the whole forward (≤ 64 printable ASCII characters).',
    })
    clientId: string | null,
    @CurrentViewer() viewer: Viewer,
    @Ctx() ctx: Context,
  ): Promise<MessageRecord[]> {
    return ctx.services.forwarding.forward(viewer, ctx.loaders, messageId, toChatIds, clientId);
  }
}
