import type { ChatFieldsFragment } from '../../gql/graphql';
import { session } from '../session';

/** A private chat is named after the other person; a group by its title. */
export function chatName(chat: Pick<ChatFieldsFragment, 'kind' | 'title' | 'members'>): string {
  if (chat.kind === 'GROUP') return chat.title ?? 'Group';
  return otherMember(chat)?.user.displayName ?? 'Saved messages';
}

export function otherMember(chat: Pick<ChatFieldsFragment, 'kind' | 'members'>) {
  if (chat.kind !== 'PRIVATE') return undefined;
  return chat.members.find((member) => member.user.id !== session.user?.id);
}
