import { useMutation, useQuery } from '@apollo/client/react';
import { MarkAllNotificationsRead, Notifications } from '../operations';
import { timeOf } from './hooks';

export function NotificationList({ onOpenChat }: { onOpenChat: (chatId: string) => void }) {
  const { data, loading } = useQuery(Notifications, { fetchPolicy: 'cache-and-network' });
  const [markAll] = useMutation(MarkAllNotificationsRead, { refetchQueries: [Notifications] });
  const items = data?.notifications.edges.map((edge) => edge.node) ?? [];
  return (
    <section aria-labelledby="notifications-title" className="notifications">
      <div className="page-head">
        <h2 id="notifications-title">Notifications</h2>
        <button type="button" onClick={() => void markAll()} disabled={!data?.unreadNotificationCount}>
          Mark all read
        </button>
      </div>
      {loading && !data ? <p className="muted">Loading…</p> : null}
      {data && items.length === 0 ? <p className="muted">Nothing yet.</p> : null}
      <ul className="notification-items">
        {items.map((n) => {
          const chatId = (() => {
            try {
              return (JSON.parse(n.data ?? '{}') as { chatId?: string }).chatId;
            } catch {
              return undefined;
            }
          })();
          return (
            <li key={n.id} className={n.read ? '' : 'unread'}>
              <button type="button" disabled={!chatId} onClick={() => chatId && onOpenChat(chatId)}>
                <strong>{n.title}</strong>
                {n.count > 1 ? <span className="badge">{n.count}</span> : null}
                {n.body ? <span className="preview"> {n.body}</span> : null}
                <time dateTime={n.updatedAt}>{timeOf(n.updatedAt)}</time>
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
