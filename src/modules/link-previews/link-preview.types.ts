import { Ctx, Field, FieldResolver, ObjectType, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { Message, type MessageRecord } from '../messages/index.js';

@ObjectType('LinkPreview', { description: "What the page of a message's first link says of itself, fetched by the server after the send." })
export class LinkPreview {
  @Field(() => String, { description: 'The link, as it appears first in the text (normalised).' })
  url!: string;

  @Field(() => String, { nullable: true, description: 'og:title, else the page’s <title>.' })
  title!: string | null;

  @Field(() => String, { nullable: true, description: 'og:description, else the description meta tag.' })
  description!: string | null;

  @Field(() => String, { nullable: true, description: 'og:site_name.' })
  siteName!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'og:image as a webp thumbnail (long side ≤ 320 px) stored by the server: signed and short-lived like File.url.',
  })
  imageUrl!: string | null;
}

@Resolver(() => Message)
export class MessageLinkPreviewResolver {
  @FieldResolver(() => LinkPreview, {
    nullable: true,
    description:
      'A preview of the first http(s) link in the text (sent with linkPreview, the default): null until the server fetched it, when it arrives by ' +
      'messageUpdated and messageChanges (editedAt unchanged); stays null when the page gives none. An edit that changes the first link removes it.',
  })
  linkPreview(@Root() message: MessageRecord, @Ctx() ctx: Context): LinkPreview | null {
    // Messages from payamak_append_message carry no preview columns (NO_PREVIEW fills them); `== null` covers any other partial record.
    if (message.previewUrl == null || message.deletedAt !== null) return null;
    return {
      url: message.previewUrl,
      title: message.previewTitle ?? null,
      description: message.previewDescription ?? null,
      siteName: message.previewSiteName ?? null,
      // Whoever sees the message is a member of its chat, and so may see its image (a File of the chat).
      imageUrl: message.previewImageId ? ctx.services.files.url({ id: message.previewImageId, thumbnailKey: null }, 'original', ctx.origin) : null,
    };
  }
}
