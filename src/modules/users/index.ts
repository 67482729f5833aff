import type { PresenceService } from './presence.service.js';
import type { PrivacyService } from './privacy.service.js';
import type { UserLoaders } from './users.loaders.js';
import type { UsersService } from './users.service.js';

// What this module adds to every resolver's context (graphql/context.ts).
declare module '../../graphql/context.js' {
  interface Services {
    users: UsersService;
    presence: PresenceService;
    privacy: PrivacyService;
  }
  interface Loaders extends UserLoaders {}
}

export { User, UserConnection, USER_SELECT, Role, PresenceEvent, type UserRecord } from './user.types.js';
export { PresenceService } from './presence.service.js';
export { UsersService, type UserSearch } from './users.service.js';
export { createUserLoaders, type UserLoaders } from './users.loaders.js';
export { USERNAME, normalizeUsername, checkPassword, cleanDisplayName } from './users.inputs.js';
export { UsersResolver } from './users.resolver.js';
export { relationTo, seesAvatar, readReceiptsShown, visibleTo, type Relation } from './users.policy.js';
export { Privacy, Visibility } from './privacy.types.js';
export { PrivacyInput } from './privacy.inputs.js';
export { PrivacyService } from './privacy.service.js';
export { PrivacyResolver } from './privacy.resolver.js';
export { UserTopic, type PresencePayload } from './user.topics.js';
