import type { InviteLoaders } from './invites.loaders.js';
import type { InvitesService } from './invites.service.js';

// What this module adds to every resolver's context (graphql/context.ts).
declare module '../../graphql/context.js' {
  interface Services {
    invites: InvitesService;
  }
  interface Loaders extends InviteLoaders {}
}

export { InvitesService, type InvitesServiceOptions, type Caller, type JoinResult } from './invites.service.js';
export { GroupInvitations, INVITATION_TTL_MS } from './group-invitations.js';
export { createInviteLoaders, type InviteLoaders } from './invites.loaders.js';
export { InvitesResolver, ChatInvitesResolver, JoinRequestResolver, ChatInvitePreviewResolver } from './invites.resolver.js';
export { InviteLink, ChatInvitePreview, JoinRequest, JoinRequestConnection, JoinByInvitePayload } from './invites.types.js';
export { isInviteCode } from './invite-codes.js';
