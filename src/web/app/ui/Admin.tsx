import { useMutation, useQuery } from '@apollo/client/react';
import { useId, useState } from 'react';
import type { AdminOverviewQuery } from '../../gql/graphql';
import { AdminAuditLog, AdminOverview, AdminReports, AdminResolveReport, AdminSetUserActive, AdminUsers } from '../operations';
import { errorText, useDebounced } from './hooks';

const HOURS = 24;

export function Admin() {
  const overview = useQuery(AdminOverview, { variables: { hours: HOURS }, pollInterval: 30_000 });
  return (
    <div className="admin">
      <h2>Admin</h2>
      {overview.error ? <p className="error">{errorText(overview.error)}</p> : null}
      {overview.data ? <Overview data={overview.data} /> : <p className="muted">Loading…</p>}
      <Users />
      <Reports />
      <AuditLog />
    </div>
  );
}

function Overview({ data }: { data: AdminOverviewQuery }) {
  const { adminStats: s, adminHealth: h } = data;
  const cards: [string, string | number][] = [
    ['Users', `${s.usersActive} active of ${s.usersTotal}`],
    ['Online', s.usersOnline],
    ['Chats', s.chatsTotal],
    ['Messages (24 h)', s.messagesLast24h],
    ['Messages', s.messagesTotal],
    ['Files', `${s.filesCount} (${(s.filesBytes / 1048576).toFixed(1)} MiB)`],
    ['Sockets', s.webSocketsOpen],
    ['Open reports', s.openReports],
  ];
  const checks: [string, boolean, string][] = [
    ['Database', h.database.up, h.database.latencyMs !== null ? `${h.database.latencyMs} ms, ${h.databaseMode}` : h.databaseMode],
    ['Pub/sub', h.pubsub.up, h.pubsub.latencyMs !== null ? `${h.pubsub.latencyMs} ms` : ''],
    ['Uploads', h.uploads.up, h.uploads.detail ?? ''],
    ['Jobs', (h.jobs?.failed ?? 0) === 0, h.jobs ? `${h.jobs.queued} queued, ${h.jobs.running} running, ${h.jobs.failed} failed` : 'unknown'],
  ];
  return (
    <section aria-labelledby="overview-title">
      <h3 id="overview-title">
        Health: <span className={h.status === 'ok' ? 'ok' : 'bad'}>{h.status}</span>{' '}
        <span className="muted">
          v{h.version}, up {Math.round(h.uptimeSeconds / 60)} min
        </span>
      </h3>
      <ul className="checks">
        {checks.map(([name, up, detail]) => (
          <li key={name} className={up ? 'ok' : 'bad'}>
            {up ? '●' : '○'} {name} <span className="muted">{detail}</span>
          </li>
        ))}
      </ul>
      <dl className="cards">
        {cards.map(([name, value]) => (
          <div key={name}>
            <dt>{name}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      <ActivityChart hours={data.adminActivity} />
    </section>
  );
}

function ActivityChart({ hours }: { hours: AdminOverviewQuery['adminActivity'] }) {
  const max = Math.max(1, ...hours.map((h) => h.messages));
  const total = hours.reduce((sum, h) => sum + h.messages, 0);
  const width = 480;
  const height = 120;
  const bar = width / hours.length;
  return (
    <figure className="chart">
      <svg
        viewBox={`0 0 ${width} ${height + 16}`}
        role="img"
        aria-label={`Messages per hour, last ${hours.length} hours: ${total} in all, at most ${max} in an hour`}
      >
        {hours.map((h, i) => {
          const barHeight = (h.messages / max) * height;
          return (
            <rect key={h.hour} x={i * bar + 1} y={height - barHeight} width={bar - 2} height={barHeight} className="bar">
              <title>
                {new Date(h.hour).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}: {h.messages}
              </title>
            </rect>
          );
        })}
        <line x1={0} x2={width} y1={height} y2={height} className="axis" />
      </svg>
      <figcaption>Messages per hour, last {hours.length} hours</figcaption>
    </figure>
  );
}

function Users() {
  const [search, setSearch] = useState('');
  const [active, setActive] = useState(true);
  const debounced = useDebounced(search.trim(), 250);
  const users = useQuery(AdminUsers, { variables: { search: debounced || null, active } });
  const [setUserActive] = useMutation(AdminSetUserActive, { refetchQueries: [AdminUsers, AdminOverview, AdminAuditLog] });
  const [error, setError] = useState<string | null>(null);
  const searchId = useId();
  return (
    <section aria-labelledby="users-title">
      <h3 id="users-title">Users</h3>
      <div className="list-tools">
        <label htmlFor={searchId}>Search users</label>
        <input id={searchId} type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
        <fieldset className="toggle">
          <legend className="visually-hidden">Accounts</legend>
          <button type="button" aria-pressed={active} onClick={() => setActive(true)}>
            Active
          </button>
          <button type="button" aria-pressed={!active} onClick={() => setActive(false)}>
            Deactivated
          </button>
        </fieldset>
      </div>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      <table>
        <thead>
          <tr>
            <th scope="col">User</th>
            <th scope="col">Role</th>
            <th scope="col">Online</th>
            <th scope="col">Action</th>
          </tr>
        </thead>
        <tbody>
          {users.data?.adminUsers.edges.map(({ node: u }) => (
            <tr key={u.id}>
              <td>
                {u.displayName} <span className="muted">@{u.username}</span>
              </td>
              <td>{u.role}</td>
              <td>{u.online ? 'yes' : 'no'}</td>
              <td>
                <button
                  type="button"
                  aria-label={`${active ? 'Deactivate' : 'Activate'} ${u.username}`}
                  onClick={() =>
                    void setUserActive({ variables: { userId: u.id, active: !active } }).then(
                      () => setError(null),
                      (e: unknown) => setError(errorText(e)),
                    )
                  }
                >
                  {active ? 'Deactivate' : 'Activate'}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Reports() {
  const reports = useQuery(AdminReports, { variables: { status: 'OPEN' } });
  const [resolve] = useMutation(AdminResolveReport, { refetchQueries: [AdminReports, AdminOverview, AdminAuditLog] });
  const items = reports.data?.adminReports.edges.map((edge) => edge.node) ?? [];
  return (
    <section aria-labelledby="reports-title">
      <h3 id="reports-title">Reports to review</h3>
      {items.length === 0 ? <p className="muted">None open.</p> : null}
      <ul className="reports">
        {items.map((r) => (
          <li key={r.id}>
            <p>
              <strong>{r.reason}</strong> about @{r.user?.username ?? 'deleted'} by @{r.reporter?.username ?? '?'}
              {r.snapshot?.text ? <q>{r.snapshot.text}</q> : null}
              {r.note ? <span className="muted"> “{r.note}”</span> : null}
            </p>
            <div className="row-actions">
              <button type="button" onClick={() => void resolve({ variables: { reportId: r.id, action: 'DISMISS' } })}>
                Dismiss
              </button>
              {r.snapshot ? (
                <button type="button" onClick={() => void resolve({ variables: { reportId: r.id, action: 'DELETE_MESSAGE' } })}>
                  Delete message
                </button>
              ) : null}
              <button type="button" onClick={() => void resolve({ variables: { reportId: r.id, action: 'DEACTIVATE_USER' } })}>
                Deactivate user
              </button>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}

function AuditLog() {
  const log = useQuery(AdminAuditLog, { fetchPolicy: 'cache-and-network' });
  return (
    <section aria-labelledby="audit-title">
      <h3 id="audit-title">Audit log</h3>
      <table>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Admin</th>
            <th scope="col">Action</th>
            <th scope="col">Target</th>
          </tr>
        </thead>
        <tbody>
          {log.data?.adminAuditLog.edges.map(({ node: e }) => (
            <tr key={e.id}>
              <td>{new Date(e.createdAt).toLocaleString()}</td>
              <td>{e.admin?.username ?? '—'}</td>
              <td>{e.action}</td>
              <td>
                {e.targetType} <span className="muted">{e.targetId?.slice(0, 8)}</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
