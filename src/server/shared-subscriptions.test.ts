import { buildSchema, parse, type ExecutionResult, type GraphQLFieldConfig } from 'graphql';
import { describe, expect, it } from 'vitest';
import { EVENTS_AS_APPENDED, SAME_FOR_EVERY_VIEWER, SAME_FOR_EVERY_VIEWER_AS_APPENDED, SAME_FOR_EVERY_VIEWER_WHEN_NULL } from '../graphql/event-fields.js';
import { QueueIterator } from '../realtime/pubsub.js';
import { sharedSubscribe } from './shared-subscriptions.js';

interface Viewer {
  name: string;
  events: QueueIterator<object>;
}

/** A schema shaped like ours: a plain-field event type with one per-viewer field. */
function testSchema() {
  const schema = buildSchema(`
    type Message { id: ID!, text: String, status: String! }
    type Query { ok: Boolean }
    type Subscription { newMessage(chatId: ID): Message! }
  `);
  const calls = { root: 0 };
  const root = schema.getSubscriptionType()!.getFields()['newMessage'] as unknown as GraphQLFieldConfig<unknown, Viewer>;
  root.subscribe = (_source, _args, viewer) => viewer.events;
  root.resolve = (payload) => {
    calls.root++;
    return payload;
  };
  const status = schema.getType('Message') as unknown as { getFields(): Record<string, GraphQLFieldConfig<unknown, Viewer>> };
  status.getFields()['status']!.resolve = (_message, _args, viewer) => `seen by ${viewer.name}`;
  // As @SameForEveryViewer() marks them in the modules' types.
  for (const name of ['id', 'text']) (status.getFields()[name] as { extensions: object }).extensions = { [SAME_FOR_EVERY_VIEWER]: true };
  return { schema, calls };
}

function viewer(name: string): Viewer {
  return { name, events: new QueueIterator<object>(10, () => undefined) };
}

async function first(stream: Awaited<ReturnType<typeof sharedSubscribe>>): Promise<ExecutionResult> {
  if (!(Symbol.asyncIterator in stream)) throw new Error(`no stream: ${JSON.stringify(stream)}`);
  const next = await stream.next();
  return next.value as ExecutionResult;
}

describe('sharedSubscribe', () => {
  it('renders an event once for every subscriber of an operation that selects only plain payload fields', async () => {
    const { schema, calls } = testSchema();
    const document = parse('subscription { newMessage { id ...Body } } fragment Body on Message { text __typename }');
    const [ana, ben] = [viewer('ana'), viewer('ben')];
    const streams = await Promise.all([ana, ben].map((v) => sharedSubscribe({ schema, document, contextValue: v })));
    const event = { id: 'm1', text: 'hi' };
    ana.events.push(event);
    ben.events.push(event);
    const results = await Promise.all(streams.map(first));
    expect(results).toEqual([0, 1].map(() => ({ data: { newMessage: { id: 'm1', text: 'hi', __typename: 'Message' } } })));
    expect(calls.root).toBe(1);
  });

  it('renders per subscriber when a field depends on the viewer, or the variables differ', async () => {
    const { schema, calls } = testSchema();
    const [ana, ben] = [viewer('ana'), viewer('ben')];
    const perViewer = parse('subscription { newMessage { id status } }');
    const streams = await Promise.all([ana, ben].map((v) => sharedSubscribe({ schema, document: perViewer, contextValue: v })));
    const event = { id: 'm2', text: 'yo' };
    ana.events.push(event);
    ben.events.push(event);
    const results = await Promise.all(streams.map(first));
    expect(results.map((r) => (r.data?.['newMessage'] as { status: string } | undefined)?.status)).toEqual(['seen by ana', 'seen by ben']);
    expect(calls.root).toBe(2);

    const byChat = parse('subscription ($chatId: ID) { newMessage(chatId: $chatId) { id } }');
    const [cara, dan] = [viewer('cara'), viewer('dan')];
    const chatStreams = await Promise.all(
      [cara, dan].map((v, i) => sharedSubscribe({ schema, document: byChat, contextValue: v, variableValues: { chatId: `c${i}` } })),
    );
    const other = { id: 'm3' };
    cara.events.push(other);
    dan.events.push(other);
    await Promise.all(chatStreams.map(first));
    expect(calls.root).toBe(4);
  });

  it('passes return through to the source stream', async () => {
    const { schema } = testSchema();
    const ana = viewer('ana');
    let ended = false;
    ana.events = new QueueIterator<object>(10, () => {
      ended = true;
    });
    const stream = await sharedSubscribe({ schema, document: parse('subscription { newMessage { id } }'), contextValue: ana });
    if (!(Symbol.asyncIterator in stream)) throw new Error('no stream');
    await stream.return!();
    expect(ended).toBe(true);
  });
});

/**
 * Shaped like a chat screen's subscription: the sender (the same row for everyone, some of its fields not),
 * a reply (its view differs per viewer), and a status that is the same for everyone in newMessage's events
 * (a message as appended) but not in messageUpdated's.
 */
function appSchema() {
  const schema = buildSchema(`
    type User { id: ID!, name: String!, lastSeen: String }
    type Message { id: ID!, text: String, status: String!, sender: User, replyTo: Message }
    type Query { ok: Boolean }
    type Subscription { newMessage: Message!, messageUpdated: Message! }
  `);
  const calls = { root: 0 };
  type Fields = Record<string, GraphQLFieldConfig<unknown, Viewer> & { extensions: object }>;
  const fieldsOf = (type: string) => (schema.getType(type) as unknown as { getFields(): Fields }).getFields();
  for (const name of ['newMessage', 'messageUpdated']) {
    const root = fieldsOf('Subscription')[name]!;
    root.subscribe = (_source, _args, viewer) => viewer.events;
    root.resolve = (payload) => {
      calls.root++;
      return payload;
    };
  }
  fieldsOf('Subscription')['newMessage']!.extensions = { [EVENTS_AS_APPENDED]: true };
  const message = fieldsOf('Message');
  for (const name of ['id', 'text', 'sender']) message[name]!.extensions = { [SAME_FOR_EVERY_VIEWER]: true };
  message['status']!.extensions = { [SAME_FOR_EVERY_VIEWER_AS_APPENDED]: true };
  message['status']!.resolve = (_message, _args, viewer) => `seen by ${viewer.name}`;
  message['replyTo']!.extensions = { [SAME_FOR_EVERY_VIEWER_WHEN_NULL]: 'replyToId' };
  message['replyTo']!.resolve = (source, _args, viewer) => ((source as { replyToId: string | null }).replyToId ? { id: `reply as ${viewer.name}` } : null);
  message['sender']!.resolve = () => ({ id: 'u1', name: 'Ana', lastSeen: 'now' });
  const user = fieldsOf('User');
  for (const name of ['id', 'name']) user[name]!.extensions = { [SAME_FOR_EVERY_VIEWER]: true };
  user['lastSeen']!.resolve = (_user, _args, viewer) => `as ${viewer.name} may see it`;
  return { schema, calls };
}

describe('sharedSubscribe, an app’s selection', () => {
  const render = async (query: string, event: object) => {
    const { schema, calls } = appSchema();
    const viewers = [viewer('ana'), viewer('ben')];
    const document = parse(query);
    const streams = await Promise.all(viewers.map((v) => sharedSubscribe({ schema, document, contextValue: v })));
    for (const v of viewers) v.events.push(event);
    const results = await Promise.all(streams.map(first));
    return { executions: calls.root, results: results.map((r) => r.data) };
  };

  it('renders a new message once when its sender, status and (absent) reply are the same for everyone', async () => {
    const { executions, results } = await render('subscription { newMessage { id status sender { id name } replyTo { id } } }', {
      id: 'm1',
      replyToId: null,
    });
    expect(executions).toBe(1);
    expect(results).toEqual([0, 1].map(() => ({ newMessage: { id: 'm1', status: 'seen by ana', sender: { id: 'u1', name: 'Ana' }, replyTo: null } })));
  });

  it('renders per subscriber a reply, a sender field privacy decides, or a status outside newMessage', async () => {
    const reply = await render('subscription { newMessage { id replyTo { id } } }', { id: 'm2', replyToId: 'm1' });
    expect(reply.executions).toBe(2);
    expect(reply.results.map((r) => (r!['newMessage'] as { replyTo: { id: string } }).replyTo.id)).toEqual(['reply as ana', 'reply as ben']);
    const lastSeen = await render('subscription { newMessage { id sender { lastSeen } } }', { id: 'm3', replyToId: null });
    expect(lastSeen.executions).toBe(2);
    const updated = await render('subscription { messageUpdated { id status } }', { id: 'm4', replyToId: null });
    expect(updated.executions).toBe(2);
    expect(updated.results.map((r) => (r!['messageUpdated'] as { status: string }).status)).toEqual(['seen by ana', 'seen by ben']);
  });
});

describe('the schema’s event types', () => {
  it('mark as the same for every viewer exactly the plain payload fields', async () => {
    const { getSchema } = await import('./schema.js');
    const schema = await getSchema();
    const marked = (type: string) =>
      Object.values((schema.getType(type) as { getFields(): Record<string, { name: string; extensions: Record<string, unknown> }> }).getFields())
        .filter((field) => field.extensions[SAME_FOR_EVERY_VIEWER] === true)
        .map((field) => field.name)
        .sort();
    expect(marked('Message')).toEqual([
      'chatId',
      'clientId',
      'createdAt',
      'cursor',
      'deleted',
      'deletedAt',
      'editedAt',
      'expiresAt',
      'forwardCount',
      'forwarded',
      'id',
      'kind',
      'pinned',
      'rev',
      'sender',
      'senderId',
      'seq',
      'text',
    ]);
    expect(marked('User')).toEqual(['createdAt', 'displayName', 'id', 'username']);
    const withExtension = (type: string, extension: string) =>
      Object.values((schema.getType(type) as { getFields(): Record<string, { name: string; extensions: Record<string, unknown> }> }).getFields())
        .filter((field) => field.extensions[extension] !== undefined)
        .map((field) => `${field.name}: ${String(field.extensions[extension])}`)
        .sort();
    // Only a message as appended (newMessage's events) is SENT with no reactions for everyone.
    expect(withExtension('Message', SAME_FOR_EVERY_VIEWER_AS_APPENDED)).toEqual(['myReaction: true', 'reactions: true', 'status: true']);
    expect(withExtension('Subscription', EVENTS_AS_APPENDED)).toEqual(['newMessage: true']);
    expect(withExtension('Message', SAME_FOR_EVERY_VIEWER_WHEN_NULL)).toEqual(['replyTo: replyToId']);
    expect(marked('MessageStatusEvent')).toEqual(['at', 'chatId', 'messageId', 'seq', 'status', 'userId']);
    expect(marked('TypingEvent')).toEqual(['chatId', 'typing', 'userId']);
    expect(marked('PresenceEvent')).toEqual(['lastSeenAt', 'status', 'userId']);
  });
});
