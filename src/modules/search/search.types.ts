import { Field, ObjectType } from 'type-graphql';
import { PageInfo } from '../../lib/relay.js';
import { Message, type MessageRecord } from '../messages/index.js';

/** One hit of searchMessages: the message and the part of its text that matched. */
@ObjectType('MessageSearchEdge')
export class MessageSearchEdge {
  @Field(() => String, { description: 'Opaque; pass it as `after` for the hits after this one.' })
  cursor!: string;

  @Field(() => Message)
  node!: MessageRecord;

  @Field(() => String, {
    description:
      'About 160 characters of the text around the first match: HTML-escaped, the matching words in <mark>…</mark>, ' +
      '"…" where cut. Only the marks are markup (README, "Search").',
  })
  snippet!: string;
}

@ObjectType('MessageSearchConnection')
export class MessageSearchConnection {
  @Field(() => [MessageSearchEdge])
  edges!: MessageSearchEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}
