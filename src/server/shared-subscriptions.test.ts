import { buildSchema, parse, type ExecutionResult, type GraphQLFieldConfig } from 'graphql';
import { describe, expect, it } from 'vitest';
import { SAME_FOR_EVERY_VIEWER } from '../graphql/event-fields.js';
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
      'senderId',
      'seq',
      'text',
    ]);
    expect(marked('MessageStatusEvent')).toEqual(['at', 'chatId', 'messageId', 'seq', 'status', 'userId']);
    expect(marked('TypingEvent')).toEqual(['chatId', 'typing', 'userId']);
    expect(marked('PresenceEvent')).toEqual(['lastSeenAt', 'status', 'userId']);
  });
});
