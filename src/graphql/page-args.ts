import { ArgsType, Field, Int } from 'type-graphql';

/**
 * `first` and `after` of every Relay connection field (docs/api-contract.md:
 * `first` defaults to 20 and is capped at 100, lib/pagination.ts), declared
 * once: `@Args(() => PageArgs) page: PageArgs` beside a field's own arguments.
 */
@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true })
  first?: number | null;

  @Field(() => String, { nullable: true })
  after?: string | null;
}
