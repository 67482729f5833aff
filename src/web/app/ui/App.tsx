import { useQuery } from '@apollo/client/react';
import { useEffect, useState } from 'react';
import { refreshSession } from '../client';
import { Me, Notifications } from '../operations';
import { startSync } from '../sync';
import { Admin } from './Admin';
import { ChatList } from './ChatList';
import { ChatView } from './ChatView';
import { useConnection, useSessionUser } from './hooks';
import { NotificationList } from './NotificationList';
import { SignIn } from './SignIn';
import { signOut } from '../client';
import { session } from '../session';
import { client } from '../client';
import { Logout } from '../operations';

export function App() {
  const user = useSessionUser();
  // A reload keeps only the refresh token: trade it for an access token before showing anything.
  const [restoring, setRestoring] = useState(() => session.refreshToken !== null && session.accessToken === null);
  useEffect(() => {
    if (restoring) void refreshSession().then(() => setRestoring(false));
  }, [restoring]);
  if (restoring) return <p className="loading">Loading…</p>;
  if (!user) return <SignIn />;
  return <Shell key={user.id} />;
}

type Screen = 'chats' | 'notifications' | 'admin';

function Shell() {
  const [screen, setScreen] = useState<Screen>('chats');
  const [chatId, setChatId] = useState<string | null>(null);
  const me = useQuery(Me);
  const notifications = useQuery(Notifications);
  const state = useConnection();
  useEffect(() => startSync(), []);
  const isAdmin = me.data?.me.role === 'ADMIN';
  const unreadNotifications = notifications.data?.unreadNotificationCount ?? 0;

  const logout = async () => {
    const refreshToken = session.refreshToken;
    if (refreshToken) await client.mutate({ mutation: Logout, variables: { refreshToken } }).catch(() => undefined);
    signOut();
  };

  return (
    <div className={`shell ${chatId && screen === 'chats' ? 'chat-open' : ''}`}>
      {state === 'offline' ? (
        <div className="banner" role="status">
          Connection lost. Reconnecting…
        </div>
      ) : null}
      <header className="topbar">
        <h1>Payamak</h1>
        <nav aria-label="Main">
          <button type="button" aria-pressed={screen === 'chats'} onClick={() => setScreen('chats')}>
            Chats{me.data?.me.unread?.messages ? <span className="badge">{me.data.me.unread.messages}</span> : null}
          </button>
          <button type="button" aria-pressed={screen === 'notifications'} onClick={() => setScreen('notifications')}>
            Notifications{unreadNotifications > 0 ? <span className="badge">{unreadNotifications}</span> : null}
          </button>
          {isAdmin ? (
            <button type="button" aria-pressed={screen === 'admin'} onClick={() => setScreen('admin')}>
              Admin
            </button>
          ) : null}
          <button type="button" onClick={() => void logout()}>
            Sign out
          </button>
        </nav>
        <span className="whoami">{me.data?.me.displayName}</span>
      </header>
      {screen === 'chats' ? (
        <main className="panes">
          <ChatList selected={chatId} onOpen={setChatId} />
          {chatId ? (
            <ChatView key={chatId} chatId={chatId} onClose={() => setChatId(null)} />
          ) : (
            <section className="empty-chat">Pick a chat, or start one.</section>
          )}
        </main>
      ) : screen === 'notifications' ? (
        <main className="page">
          <NotificationList
            onOpenChat={(id) => {
              setChatId(id);
              setScreen('chats');
            }}
          />
        </main>
      ) : (
        <main className="page">
          <Admin />
        </main>
      )}
    </div>
  );
}
