export { User, UserConnection, USER_SELECT, Role, PresenceEvent, type UserRecord } from './user.types.js';
export { PresenceService } from './presence.service.js';
export { UsersService, type UserSearch } from './users.service.js';
export { createUserLoaders, type UserLoaders } from './users.loaders.js';
export { normalizeUsername, checkPassword, cleanDisplayName } from './users.inputs.js';
export { UsersResolver } from './users.resolver.js';
