import { Field, Int, ObjectType } from 'type-graphql';

/** One emoji's reactions to a message, as one viewer sees them. */
export interface ReactionGroupRecord {
  messageId: string;
  emoji: string;
  count: number;
  reactedByMe: boolean;
}

// Nothing here is marked @SameForEveryViewer: reactedByMe and users' visibility depend on who asks.
@ObjectType('ReactionGroup', { description: "One emoji's reactions to a message." })
export class ReactionGroup {
  @Field(() => String)
  emoji!: string;

  @Field(() => Int, { description: 'How many members reacted with it.' })
  count!: number;

  @Field(() => Boolean, { description: 'This is my reaction.' })
  reactedByMe!: boolean;
}
