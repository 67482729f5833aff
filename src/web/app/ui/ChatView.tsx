import { useMutation, useQuery } from '@apollo/client/react';
import { type FormEvent, type KeyboardEvent, useCallback, useEffect, useId, useRef, useState, useSyncExternalStore } from 'react';
import type { MessageFieldsFragment } from '../../gql/graphql';
import { cache, client, connection } from '../client';
import {
  BlockUser,
  ChatById,
  Chats,
  DeleteMessage,
  EditMessage,
  MarkRead,
  Messages,
  PinMessage,
  RemoveReaction,
  ReportMessage,
  ReportUser,
  SendMedia,
  SendMessage,
  SetReaction,
  SetTyping,
  UnpinMessage,
  UpdateChatSettings,
} from '../operations';
import { session } from '../session';
import { chatOpened, insertMessages, PAGE_SIZE, receipts } from '../sync';
import { newClientId } from '../upload';
import { chatName, otherMember } from './chat-names';
import { errorText, timeOf } from './hooks';
import { useTyping } from './typing';

const REACTIONS = ['👍', '❤️', '😂', '😮', '😢'];

/** A message on its way: shown at once, replaced by the real one (same clientId) when it exists. */
interface Outgoing {
  clientId: string;
  text: string;
  replyToId: string | null;
  file: File | null;
  progress: number | null;
  failed: boolean;
}

export function ChatView({ chatId, onClose }: { chatId: string; onClose: () => void }) {
  const chat = useQuery(ChatById, { variables: { id: chatId } });
  const history = useQuery(Messages, { variables: { chatId, first: PAGE_SIZE }, notifyOnNetworkStatusChange: true });
  const [outbox, setOutbox] = useState<Outgoing[]>([]);
  const [replyTo, setReplyTo] = useState<MessageFieldsFragment | null>(null);
  const [editing, setEditing] = useState<MessageFieldsFragment | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const typing = useTyping(chatId);
  const me = session.user?.id;

  useEffect(() => {
    chatOpened(chatId);
    return () => chatOpened(null);
  }, [chatId]);

  const messages = history.data?.messages.edges.map((edge) => edge.node) ?? [];
  const newest = messages[0];

  // Read up to the newest message while the chat is on screen.
  useEffect(() => {
    if (!newest || document.visibilityState !== 'visible') return;
    void client.mutate({ mutation: MarkRead, variables: { chatId, upToMessageId: newest.id } }).catch(() => undefined);
    cache.modify({ id: cache.identify({ __typename: 'Chat', id: chatId }), fields: { unreadCount: () => 0, unreadMentionCount: () => 0 } });
  }, [chatId, newest]);

  // Infinite scroll upward: the sentinel sits above the oldest message.
  const sentinel = useRef<HTMLLIElement>(null);
  const pageInfo = history.data?.messages.pageInfo;
  const fetchMore = history.fetchMore;
  const loadingMore = history.networkStatus === 3;
  useEffect(() => {
    const element = sentinel.current;
    if (!element || !pageInfo?.hasNextPage) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting) && !loadingMore) void fetchMore({ variables: { after: pageInfo.endCursor } });
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, [pageInfo?.hasNextPage, pageInfo?.endCursor, fetchMore, loadingMore]);

  const [sendText] = useMutation(SendMessage);
  const [sendMedia] = useMutation(SendMedia);

  const send = useCallback(
    async (item: Outgoing) => {
      setOutbox((box) => box.map((o) => (o.clientId === item.clientId ? { ...o, failed: false } : o)));
      try {
        // The same clientId on every try: a send the server already stored is answered with that message, never a second one.
        const result = item.file
          ? (
              await sendMedia({
                variables: { input: { chatId, file: item.file, caption: item.text || null, clientId: item.clientId, replyToId: item.replyToId } },
                context: {
                  fetchOptions: {
                    onUploadProgress: (fraction: number) =>
                      setOutbox((box) => box.map((o) => (o.clientId === item.clientId ? { ...o, progress: fraction } : o))),
                  },
                },
              })
            ).data?.sendMediaMessage
          : (await sendText({ variables: { input: { chatId, text: item.text, clientId: item.clientId, replyToId: item.replyToId } } })).data?.sendMessage;
        if (result) insertMessages(cache, [result]);
        setOutbox((box) => box.filter((o) => o.clientId !== item.clientId));
      } catch (e) {
        setOutbox((box) => box.map((o) => (o.clientId === item.clientId ? { ...o, failed: true } : o)));
        setNotice(errorText(e));
      }
    },
    [chatId, sendMedia, sendText],
  );

  // Sends that failed while offline go again when the socket is back.
  const outboxRef = useRef(outbox);
  outboxRef.current = outbox;
  useEffect(
    () =>
      connection.onReconnect(() => {
        for (const item of outboxRef.current) if (item.failed) void send(item);
      }),
    [send],
  );

  const queue = (text: string, file: File | null) => {
    const item: Outgoing = { clientId: newClientId(), text, replyToId: replyTo?.id ?? null, file, progress: file ? 0 : null, failed: false };
    setOutbox((box) => [...box, item]);
    setReplyTo(null);
    void send(item);
  };

  const heldClientIds = new Set(messages.map((m) => m.clientId).filter(Boolean));
  const pending = outbox.filter((o) => !heldClientIds.has(o.clientId));
  const info = chat.data?.chat;
  const other = info ? otherMember(info) : undefined;
  const status =
    typing.length > 0 ? `${typing.join(', ')} typing…` : other ? (other.user.online ? 'online' : 'offline') : info ? `${info.memberCount} members` : '';

  return (
    <section className="chat-view" aria-label={info ? `Chat with ${chatName(info)}` : 'Chat'}>
      <header className="chat-header">
        <button type="button" className="back" onClick={onClose} aria-label="Back to chats">
          ←
        </button>
        <div className="chat-title">
          <h2>{info ? chatName(info) : '…'}</h2>
          <p className={`status ${typing.length > 0 ? 'typing' : ''}`} aria-live="polite">
            {status}
          </p>
        </div>
        {info ? (
          <ChatMenu chatId={chatId} muted={info.muted} archived={info.archived} pinned={info.pinned} otherUserId={other?.user.id} onNotice={setNotice} />
        ) : null}
      </header>
      {info && info.pinnedMessages.length > 0 ? (
        <section className="pinned-bar" aria-label="Pinned messages">
          <strong>Pinned:</strong> {info.pinnedMessages[0]!.text ?? `[${info.pinnedMessages[0]!.kind.toLowerCase()}]`}
          {info.pinnedMessages.length > 1 ? <span className="muted"> +{info.pinnedMessages.length - 1}</span> : null}
        </section>
      ) : null}
      {notice ? (
        <p className="notice" role="status">
          {notice}{' '}
          <button type="button" className="link" onClick={() => setNotice(null)}>
            Dismiss
          </button>
        </p>
      ) : null}
      <ol className="messages" aria-label="Messages">
        {pending
          .slice()
          .reverse()
          .map((item) => (
            <li key={item.clientId} className="message mine pending" data-status={item.failed ? 'failed' : 'sending'}>
              <div className="bubble">
                {item.file ? <p className="file-name">{item.file.name}</p> : null}
                {item.text ? <p className="text">{item.text}</p> : null}
                {item.progress !== null && !item.failed ? <progress value={item.progress} max={1} aria-label="Upload progress" /> : null}
                <span className="meta">
                  {item.failed ? (
                    <button type="button" className="link" onClick={() => void send(item)}>
                      Not sent. Retry
                    </button>
                  ) : (
                    <span>Sending…</span>
                  )}
                </span>
              </div>
            </li>
          ))}
        {messages.map((message) => (
          <MessageItem
            key={message.id}
            message={message}
            mine={message.senderId === me}
            group={info?.kind === 'GROUP'}
            onReply={() => setReplyTo(message)}
            onEdit={() => setEditing(message)}
            onNotice={setNotice}
          />
        ))}
        {pageInfo?.hasNextPage ? (
          <li ref={sentinel} className="muted history-more">
            {loadingMore ? 'Loading earlier messages…' : 'Earlier messages'}
          </li>
        ) : messages.length > 0 ? (
          <li className="muted history-start">Start of the conversation</li>
        ) : history.loading ? (
          <li className="muted">Loading…</li>
        ) : (
          <li className="muted">No messages yet. Say hello!</li>
        )}
      </ol>
      <Composer
        chatId={chatId}
        replyTo={replyTo}
        editing={editing}
        onCancel={() => {
          setReplyTo(null);
          setEditing(null);
        }}
        onSend={queue}
        onEdited={() => setEditing(null)}
        onNotice={setNotice}
      />
    </section>
  );
}

function ChatMenu(props: {
  chatId: string;
  muted: boolean;
  archived: boolean;
  pinned: boolean;
  otherUserId: string | undefined;
  onNotice: (text: string) => void;
}) {
  const [open, setOpen] = useState(false);
  const [update] = useMutation(UpdateChatSettings, { refetchQueries: [Chats] });
  const [block] = useMutation(BlockUser);
  const [report] = useMutation(ReportUser);
  const menuId = useId();
  const run = async (action: () => Promise<unknown>, done: string) => {
    setOpen(false);
    try {
      await action();
      props.onNotice(done);
    } catch (e) {
      props.onNotice(errorText(e));
    }
  };
  const settings = (input: { muted?: boolean; archived?: boolean; pinned?: boolean }) => update({ variables: { chatId: props.chatId, input } });
  // Escape closes the menu, as keyboard users expect of one.
  useEffect(() => {
    if (!open) return;
    const close = (event: globalThis.KeyboardEvent) => event.key === 'Escape' && setOpen(false);
    document.addEventListener('keydown', close);
    return () => document.removeEventListener('keydown', close);
  }, [open]);
  return (
    <div className="menu">
      <button type="button" aria-haspopup="true" aria-expanded={open} aria-controls={menuId} onClick={() => setOpen(!open)}>
        Chat menu
      </button>
      {open ? (
        <ul id={menuId} className="menu-items">
          <li>
            <button type="button" onClick={() => void run(() => settings({ muted: !props.muted }), props.muted ? 'Unmuted.' : 'Muted.')}>
              {props.muted ? 'Unmute' : 'Mute'}
            </button>
          </li>
          <li>
            <button type="button" onClick={() => void run(() => settings({ archived: !props.archived }), props.archived ? 'Moved to the inbox.' : 'Archived.')}>
              {props.archived ? 'Unarchive' : 'Archive'}
            </button>
          </li>
          <li>
            <button type="button" onClick={() => void run(() => settings({ pinned: !props.pinned }), props.pinned ? 'Unpinned.' : 'Pinned to the top.')}>
              {props.pinned ? 'Unpin chat' : 'Pin chat'}
            </button>
          </li>
          {props.otherUserId ? (
            <>
              <li>
                <button
                  type="button"
                  onClick={() => void run(() => block({ variables: { userId: props.otherUserId! } }), 'Blocked: they can no longer message you.')}
                >
                  Block
                </button>
              </li>
              <li>
                <button
                  type="button"
                  onClick={() =>
                    void run(() => report({ variables: { userId: props.otherUserId!, reason: 'SPAM' } }), 'Reported. A moderator will look at it.')
                  }
                >
                  Report
                </button>
              </li>
            </>
          ) : null}
        </ul>
      ) : null}
    </div>
  );
}

function MessageItem(props: {
  message: MessageFieldsFragment;
  mine: boolean;
  group: boolean;
  onReply: () => void;
  onEdit: () => void;
  onNotice: (text: string) => void;
}) {
  const { message, mine } = props;
  const [actions, setActions] = useState(false);
  const [react] = useMutation(SetReaction);
  const [unreact] = useMutation(RemoveReaction);
  const [remove] = useMutation(DeleteMessage);
  const [pin] = useMutation(PinMessage);
  const [unpin] = useMutation(UnpinMessage);
  const [report] = useMutation(ReportMessage);
  const status = useStatus(message);
  const run = async (action: () => Promise<unknown>, done?: string) => {
    setActions(false);
    try {
      await action();
      if (done) props.onNotice(done);
    } catch (e) {
      props.onNotice(errorText(e));
    }
  };
  if (message.kind === 'SYSTEM') {
    return (
      <li className="message system" data-seq={message.seq}>
        {message.text}
      </li>
    );
  }
  const file = message.file;
  return (
    <li className={`message ${mine ? 'mine' : 'theirs'}`} data-seq={message.seq} data-status={mine ? status : undefined}>
      <div className="bubble">
        {props.group && !mine ? <p className="sender">{message.sender?.displayName ?? 'Deleted account'}</p> : null}
        {message.replyTo ? (
          <blockquote className="reply">
            <strong>{message.replyTo.sender?.displayName}</strong> {message.replyTo.deleted ? 'Message deleted' : message.replyTo.text}
          </blockquote>
        ) : null}
        {message.deleted ? (
          <p className="text deleted">Message deleted</p>
        ) : (
          <>
            {file && file.kind === 'IMAGE' ? (
              <a href={file.url} target="_blank" rel="noreferrer">
                <img
                  className="thumb"
                  src={file.thumbnailUrl ?? file.url}
                  alt={file.originalName ?? 'Image'}
                  width={file.width ?? undefined}
                  height={file.height ?? undefined}
                />
              </a>
            ) : file ? (
              <a className="file-name" href={file.url} download={file.originalName ?? undefined}>
                File: {file.originalName ?? file.mimeType} ({Math.ceil(file.size / 1024)} KB)
              </a>
            ) : null}
            {message.text ? <p className="text">{message.text}</p> : null}
          </>
        )}
        {message.reactions.length > 0 ? (
          <ul className="reactions" aria-label="Reactions">
            {message.reactions.map((r) => (
              <li key={r.emoji} className={r.reactedByMe ? 'mine' : ''}>
                {r.emoji} {r.count}
              </li>
            ))}
          </ul>
        ) : null}
        <span className="meta">
          {message.pinned ? <span className="tag">pinned</span> : null}
          {message.editedAt && !message.deleted ? <span className="edited">edited</span> : null}
          <time dateTime={message.createdAt}>{timeOf(message.createdAt)}</time>
          {mine && !message.deleted ? <Ticks status={status} /> : null}
        </span>
        {!message.deleted ? (
          <button type="button" className="actions-toggle" aria-label="Message actions" aria-expanded={actions} onClick={() => setActions(!actions)}>
            ⋯
          </button>
        ) : null}
      </div>
      {actions ? (
        <div className="message-actions">
          <fieldset className="toggle">
            <legend className="visually-hidden">React</legend>
            {REACTIONS.map((emoji) => (
              <button
                key={emoji}
                type="button"
                aria-label={`React ${emoji}`}
                aria-pressed={message.myReaction === emoji}
                onClick={() =>
                  void run(() =>
                    message.myReaction === emoji ? unreact({ variables: { messageId: message.id } }) : react({ variables: { messageId: message.id, emoji } }),
                  )
                }
              >
                {emoji}
              </button>
            ))}
          </fieldset>
          <button
            type="button"
            onClick={() => {
              setActions(false);
              props.onReply();
            }}
          >
            Reply
          </button>
          {mine && (message.kind === 'TEXT' || message.text) ? (
            <button
              type="button"
              onClick={() => {
                setActions(false);
                props.onEdit();
              }}
            >
              Edit
            </button>
          ) : null}
          <button type="button" onClick={() => void run(() => (message.pinned ? unpin : pin)({ variables: { messageId: message.id } }))}>
            {message.pinned ? 'Unpin' : 'Pin'}
          </button>
          <button type="button" onClick={() => void run(() => remove({ variables: { messageId: message.id, forEveryone: mine } }))}>
            {mine ? 'Delete for everyone' : 'Delete for me'}
          </button>
          {!mine ? (
            <button
              type="button"
              onClick={() => void run(() => report({ variables: { messageId: message.id, reason: 'SPAM' } }), 'Reported. A moderator will look at it.')}
            >
              Report
            </button>
          ) : null}
        </div>
      ) : null}
    </li>
  );
}

const RANK: Record<string, number> = { SENT: 0, DELIVERED: 1, READ: 2 };

/** The message's status, or what later receipts say when they are ahead of it. */
function useStatus(message: MessageFieldsFragment): string {
  useSyncExternalStore(receipts.subscribe, receipts.version);
  const fromReceipts = receipts.statusOf(message.chatId, message.seq);
  return RANK[fromReceipts]! > RANK[message.status]! ? fromReceipts : message.status;
}

function Ticks({ status }: { status: string }) {
  const label = status === 'READ' ? 'Read' : status === 'DELIVERED' ? 'Delivered' : 'Sent';
  return (
    <span className={`ticks ${status.toLowerCase()}`} role="img" aria-label={label} title={label}>
      {status === 'SENT' ? '✓' : '✓✓'}
    </span>
  );
}

function Composer(props: {
  chatId: string;
  replyTo: MessageFieldsFragment | null;
  editing: MessageFieldsFragment | null;
  onCancel: () => void;
  onSend: (text: string, file: File | null) => void;
  onEdited: () => void;
  onNotice: (text: string) => void;
}) {
  const [text, setText] = useState('');
  const [edit] = useMutation(EditMessage);
  const [setTyping] = useMutation(SetTyping);
  const fileInput = useRef<HTMLInputElement>(null);
  const textArea = useRef<HTMLTextAreaElement>(null);
  const typingSentAt = useRef(0);
  const stopTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const ids = { message: useId(), file: useId() };
  const { chatId, editing } = props;

  useEffect(() => {
    if (editing) {
      setText(editing.text ?? '');
      textArea.current?.focus();
    }
  }, [editing]);
  useEffect(() => {
    if (props.replyTo) textArea.current?.focus();
  }, [props.replyTo]);

  const stopTyping = useCallback(() => {
    clearTimeout(stopTimer.current);
    if (typingSentAt.current === 0) return;
    typingSentAt.current = 0;
    void setTyping({ variables: { chatId, typing: false } }).catch(() => undefined);
  }, [chatId, setTyping]);
  useEffect(() => stopTyping, [stopTyping]);

  const typed = (value: string) => {
    setText(value);
    if (editing) return;
    // true every 3 s while typing (the server lets it lapse after 6 s), false after 4 s of quiet.
    if (Date.now() - typingSentAt.current > 3000) {
      typingSentAt.current = Date.now();
      void setTyping({ variables: { chatId, typing: true } }).catch(() => undefined);
    }
    clearTimeout(stopTimer.current);
    stopTimer.current = setTimeout(stopTyping, 4000);
  };

  const submit = async (event?: FormEvent) => {
    event?.preventDefault();
    const value = text.trim();
    if (!value) return;
    if (editing) {
      try {
        await edit({ variables: { messageId: editing.id, text: value } });
        props.onEdited();
        setText('');
      } catch (e) {
        props.onNotice(errorText(e));
      }
      return;
    }
    stopTyping();
    setText('');
    props.onSend(value, null);
  };

  const keyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      void submit();
    } else if (event.key === 'Escape' && (editing || props.replyTo)) {
      props.onCancel();
      setText('');
    }
  };

  return (
    <form className="composer" onSubmit={(e) => void submit(e)}>
      {props.replyTo || editing ? (
        <div className="composer-context">
          {editing ? 'Editing message' : `Replying to ${props.replyTo?.sender?.displayName ?? ''}: ${props.replyTo?.text ?? ''}`}
          <button
            type="button"
            className="link"
            onClick={() => {
              props.onCancel();
              setText('');
            }}
          >
            Cancel
          </button>
        </div>
      ) : null}
      <div className="composer-row">
        <label htmlFor={ids.file} className="attach button" title="Attach a photo or document">
          Attach<span className="visually-hidden"> a file</span>
        </label>
        <input
          id={ids.file}
          ref={fileInput}
          type="file"
          className="visually-hidden"
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (file) props.onSend(text.trim(), file);
            setText('');
            e.target.value = '';
          }}
        />
        <label htmlFor={ids.message} className="visually-hidden">
          Message
        </label>
        <textarea id={ids.message} ref={textArea} rows={1} value={text} onChange={(e) => typed(e.target.value)} onKeyDown={keyDown} placeholder="Message" />
        <button type="submit" className="primary">
          {editing ? 'Save' : 'Send'}
        </button>
      </div>
    </form>
  );
}
