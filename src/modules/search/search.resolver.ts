import { Args, Authorized, Ctx, Query, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { CurrentViewer } from '../../graphql/current-viewer.js';
import type { Viewer } from '../../lib/viewer.js';
import { SearchMessagesArgs } from './search.inputs.js';
import { MessageSearchConnection } from './search.types.js';

@Resolver()
export class SearchResolver {
  @Authorized()
  @Query(() => MessageSearchConnection, {
    description:
      'My messages with every word of the query, newest first: in every chat I read (or chatId), within what I read of it ' +
      '(not before I joined, not after I left, not what I cleared), never deleted ones or SYSTEM messages. ' +
      'Words match by prefix from two letters on; Persian and Arabic spellings are matched alike (README, "Search").',
  })
  searchMessages(@Args(() => SearchMessagesArgs) args: SearchMessagesArgs, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.search.messages(viewer, ctx.loaders, args);
  }
}
