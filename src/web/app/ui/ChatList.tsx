import { useLazyQuery, useMutation, useQuery } from '@apollo/client/react';
import { type FormEvent, useEffect, useId, useState } from 'react';
import type { ChatFieldsFragment } from '../../gql/graphql';
import { Chats, CreateGroupChat, CreatePrivateChat, SearchUsers } from '../operations';
import { acknowledge } from '../sync';
import { chatName, otherMember } from './chat-names';
import { errorText, timeOf, useDebounced } from './hooks';
import { useTyping } from './typing';

/** Chats whose typing the list shows live (each is a subscription; a socket may hold 50). */
const TYPING_WATCHED = 8;

export function ChatList({ selected, onOpen }: { selected: string | null; onOpen: (chatId: string) => void }) {
  const [archived, setArchived] = useState(false);
  const [creating, setCreating] = useState(false);
  const filter = archived ? { archived: true } : null;
  const { data, loading, error, fetchMore } = useQuery(Chats, { variables: { first: 30, filter } });
  const chats = data?.chats.edges.map((edge) => edge.node) ?? [];
  // Pinned chats first, in the server's order (newest activity first) within each group.
  const ordered = [...chats.filter((c) => c.pinned), ...chats.filter((c) => !c.pinned)];

  // What arrived while this device was away counts as delivered once the list shows it.
  useEffect(() => {
    for (const chat of chats) if (chat.unreadCount > 0 && chat.lastMessage) acknowledge(chat.id, chat.lastMessage.id);
  }, [chats]);

  return (
    <aside className="chat-list" aria-label="Chats">
      <div className="list-tools">
        <fieldset className="toggle">
          <legend className="visually-hidden">Show</legend>
          <button type="button" aria-pressed={!archived} onClick={() => setArchived(false)}>
            Inbox
          </button>
          <button type="button" aria-pressed={archived} onClick={() => setArchived(true)}>
            Archived
          </button>
        </fieldset>
        <button type="button" className="primary" onClick={() => setCreating(!creating)} aria-expanded={creating}>
          New chat
        </button>
      </div>
      {creating ? (
        <NewChat
          onCreated={(id) => {
            setCreating(false);
            setArchived(false);
            onOpen(id);
          }}
        />
      ) : null}
      {error ? <p className="error">{errorText(error)}</p> : null}
      {loading && !data ? <p className="muted">Loading…</p> : null}
      {!loading && ordered.length === 0 ? <p className="muted">{archived ? 'No archived chats.' : 'No chats yet: start one with New chat.'}</p> : null}
      <ul className="chats">
        {ordered.map((chat, index) => (
          <ChatRow key={chat.id} chat={chat} selected={chat.id === selected} watchTyping={index < TYPING_WATCHED} onOpen={onOpen} />
        ))}
      </ul>
      {data?.chats.pageInfo.hasNextPage ? (
        <button type="button" onClick={() => void fetchMore({ variables: { after: data.chats.pageInfo.endCursor } })}>
          More chats
        </button>
      ) : null}
    </aside>
  );
}

function ChatRow({ chat, selected, watchTyping, onOpen }: { chat: ChatFieldsFragment; selected: boolean; watchTyping: boolean; onOpen: (id: string) => void }) {
  const other = otherMember(chat);
  const name = chatName(chat);
  const last = chat.lastMessage;
  const preview = last
    ? last.deleted
      ? 'Message deleted'
      : last.kind === 'TEXT' || last.kind === 'SYSTEM'
        ? (last.text ?? '')
        : `[${last.kind.toLowerCase()}] ${last.text ?? ''}`
    : '';
  return (
    <li>
      <button type="button" className={`chat-row ${selected ? 'selected' : ''}`} aria-current={selected ? 'true' : undefined} onClick={() => onOpen(chat.id)}>
        <span className="avatar" aria-hidden="true">
          {name.slice(0, 1).toUpperCase()}
          {other?.user.online ? <span className="online-dot" /> : null}
        </span>
        <span className="chat-row-main">
          <span className="chat-row-top">
            <span className="chat-name">
              {chat.pinned ? <span className="tag">pinned</span> : null}
              {name}
              {chat.muted ? <span className="tag">muted</span> : null}
              {other?.user.online ? <span className="visually-hidden"> (online)</span> : null}
            </span>
            {last ? <time dateTime={last.createdAt}>{timeOf(last.createdAt)}</time> : null}
          </span>
          <span className="chat-row-bottom">
            {watchTyping ? (
              <TypingOrPreview chatId={chat.id} preview={preview} sender={chat.kind === 'GROUP' ? last?.sender?.displayName : undefined} />
            ) : (
              <span className="preview">{preview}</span>
            )}
            {chat.unreadMentionCount > 0 ? (
              <span className="badge mention" title="Mentions you">
                @
              </span>
            ) : null}
            {chat.unreadCount > 0 ? (
              <span className="badge">
                {chat.unreadCount}
                <span className="visually-hidden"> unread</span>
              </span>
            ) : null}
          </span>
        </span>
      </button>
    </li>
  );
}

function TypingOrPreview({ chatId, preview, sender }: { chatId: string; preview: string; sender: string | undefined }) {
  const typing = useTyping(chatId);
  if (typing.length > 0) return <span className="preview typing">{typing.join(', ')} typing…</span>;
  return (
    <span className="preview">
      {sender ? `${sender}: ` : ''}
      {preview}
    </span>
  );
}

function NewChat({ onCreated }: { onCreated: (chatId: string) => void }) {
  const [search, setSearch] = useState('');
  const [title, setTitle] = useState('');
  const [picked, setPicked] = useState<Map<string, string>>(new Map());
  const [error, setError] = useState<string | null>(null);
  const debounced = useDebounced(search.trim(), 250);
  const [find, found] = useLazyQuery(SearchUsers);
  const [createPrivate] = useMutation(CreatePrivateChat, { refetchQueries: [Chats] });
  const [createGroup] = useMutation(CreateGroupChat, { refetchQueries: [Chats] });
  const ids = { search: useId(), title: useId() };

  useEffect(() => {
    if (debounced.length >= 3) void find({ variables: { search: debounced } });
  }, [debounced, find]);

  const message = async (userId: string) => {
    try {
      const { data } = await createPrivate({ variables: { userId } });
      if (data) onCreated(data.createPrivateChat.id);
    } catch (e) {
      setError(errorText(e));
    }
  };
  const group = async (event: FormEvent) => {
    event.preventDefault();
    try {
      const { data } = await createGroup({ variables: { input: { title, memberIds: [...picked.keys()] } } });
      if (data) onCreated(data.createGroupChat.id);
    } catch (e) {
      setError(errorText(e));
    }
  };
  const results = debounced.length >= 3 ? (found.data?.users.edges.map((edge) => edge.node) ?? []) : [];

  return (
    <section className="new-chat" aria-label="New chat">
      <label htmlFor={ids.search}>Find people</label>
      <input id={ids.search} type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="Username, 3 letters or more" />
      <ul className="people">
        {results.map((user) => (
          <li key={user.id}>
            <span>
              {user.displayName} <span className="muted">@{user.username}</span>
            </span>
            <span className="row-actions">
              <button type="button" onClick={() => void message(user.id)} aria-label={`Message ${user.username}`}>
                Message
              </button>
              <label>
                <input
                  type="checkbox"
                  checked={picked.has(user.id)}
                  onChange={(e) => {
                    const next = new Map(picked);
                    if (e.target.checked) next.set(user.id, user.displayName);
                    else next.delete(user.id);
                    setPicked(next);
                  }}
                />{' '}
                Add to group
              </label>
            </span>
          </li>
        ))}
      </ul>
      {picked.size > 0 ? (
        <form onSubmit={(e) => void group(e)}>
          <p>With {[...picked.values()].join(', ')}</p>
          <label htmlFor={ids.title}>Group name</label>
          <input id={ids.title} value={title} onChange={(e) => setTitle(e.target.value)} required maxLength={100} />
          <button type="submit" className="primary">
            Create group
          </button>
        </form>
      ) : null}
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
    </section>
  );
}
