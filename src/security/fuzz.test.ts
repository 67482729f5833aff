/**
 * A seeded fuzz of every operation of schema.graphql, as a signed-in user,
 * over HTTP (the fast path and Express) and graphql-ws: variables of the
 * wrong type, missing, null, huge, and full of control characters. Whatever
 * a client sends, the answer is the client's error: no HTTP 5xx, no
 * INTERNAL_SERVER_ERROR, no socket closed under it; and the server is still
 * healthy at the end.
 *
 * The cases are drawn before anything is sent, from a fixed seed: a failure
 * names the operation and variables, and the same seed gives the same cases.
 */
import { mulberry32 } from '../test/random.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildSchema,
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLField,
  type GraphQLFormattedError,
  type GraphQLInputType,
  type GraphQLOutputType,
} from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { InProcessPubSub } from '../realtime/pubsub.js';
import { createUser, type TestUser } from '../test/factories.js';
import { createPrivateChat, createGroup } from '../test/chats.js';
import { SendMessageDocument } from '../test/generated/graphql.js';
import { expectNoErrors, gql, startTestServer, type TestServer } from '../test/server.js';
import { uploadResumable } from '../test/tus.js';

const SEED = 0x5eed_2026;
/** Cases per operation and transport; argon2 operations (sign-in, sign-up, password) get fewer. */
const CASES_PER_OPERATION = 24;
const CASES_PER_SLOW_OPERATION = 6;
const SLOW_OPERATIONS = new Set(['register', 'login', 'changePassword', 'deleteAccount', 'createRecoveryCodes']);
const CONCURRENCY = 4;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const schema = buildSchema(readFileSync(path.join(root, 'schema.graphql'), 'utf8'));

const random = mulberry32(SEED);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const chance = (p: number) => random() < p;

/** Strings a client might send on purpose or by accident. */
const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\u0001\u0002\u001f',
  '\u007f\u0085\u009f',
  '\r\n\t',
  '\ud800',
  'x\udfffy',
  '\u202eevil',
  '\ufeff',
  '\u200c\u200d',
  'سلام دنیا ی ک ي ك',
  '🙂👍🏽👨‍👩‍👧',
  "' OR 1=1 --",
  '"; DROP TABLE "User"; --',
  '%_\\',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the log4j probe, sent as a literal string on purpose
  '${jndi:ldap://x}',
  'null',
  '0',
  '-1',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
];
const HUGE_STRING_LENGTHS = [1_000, 65_536, 200_000];

let server: TestServer;
let viewer: TestUser;
let other: TestUser;
let ids: string[];
let named: Record<string, string>;

beforeAll(async () => {
  server = await startTestServer();
  [viewer, other] = await Promise.all([createUser(server), createUser(server)]);
  const group = await createGroup(server, other, [viewer], 'Fuzz');
  const own = await createGroup(server, viewer, [other], 'Mine');
  const direct = await createPrivateChat(server, viewer, other);
  const message = expectNoErrors(await gql(server, SendMessageDocument, { input: { chatId: group, text: 'hello' } }, { token: other.accessToken })).sendMessage
    .id;
  const notification = (await server.database.prisma.notification.findFirstOrThrow({ where: { userId: viewer.user.id } })).id;
  // A finished resumable upload of the viewer's, so sendAttachments' cases reach past the id check.
  const upload = await uploadResumable(server, viewer.accessToken, Buffer.from('fuzz upload\n'));
  named = { group, own, direct, message, notification, upload, viewer: viewer.user.id, other: other.user.id };
  ids = [...Object.values(named), '8f14e45f-ceea-467a-9af0-fd0a2b4a9c1e', 'not-a-uuid', '', '1'];
});
afterAll(async () => {
  await server?.close();
});

// ---------------------------------------------------------------- values

function validId(name: string): string {
  if (/chat/i.test(name)) return pick([named.group!, named.own!, named.direct!]);
  if (/message/i.test(name)) return named.message!;
  if (/user|member|sender/i.test(name)) return pick([named.other!, named.viewer!]);
  if (/notification/i.test(name)) return named.notification!;
  if (/upload/i.test(name)) return named.upload!;
  return pick(ids);
}

function validString(name: string): string {
  if (/password/i.test(name)) return 'not the password 123';
  if (/username/i.test(name)) return `fuzz_${Math.floor(random() * 1e6)}`;
  if (name === 'endpoint') return 'https://push.example/device';
  if (name === 'p256dh') return Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 1)]).toString('base64url');
  if (name === 'auth') return Buffer.alloc(16, 2).toString('base64url');
  // registerDevice: an APNS token, an FCM one, or a Web Push endpoint (whichever the platform drawn with it is).
  if (name === 'token') return pick(['ab'.repeat(32), `fcm:${'A'.repeat(140)}`, 'https://push.example/device']);
  if (name === 'appId') return pick(['com.example.chat', 'org.payamak.app']);
  if (name === 'locale') return pick(['en', 'fa-IR']);
  if (/after|cursor|token/i.test(name)) return pick(['', 'abc', Buffer.from('{"k":1}').toString('base64url')]);
  return pick(['hello', 'Fuzz group', 'a', 'سلام']);
}

/** A value the argument accepts, so that the one bad value of a case is what is tried. */
function validValue(type: GraphQLInputType, name: string): unknown {
  if (isNonNullType(type)) return validValue(type.ofType, name);
  if (isListType(type)) return Array.from({ length: 1 + Math.floor(random() * 2) }, () => validValue(type.ofType, name));
  if (isInputObjectType(type)) {
    return Object.fromEntries(
      Object.values(type.getFields())
        .filter((field) => isNonNullType(field.type) || chance(0.5))
        .map((field) => [field.name, validValue(field.type, field.name)]),
    );
  }
  if (isEnumType(type)) return pick(type.getValues()).value;
  switch (type.name) {
    case 'ID':
      return validId(name);
    case 'String':
      return validString(name);
    case 'Int':
      return name === 'afterSeq' ? pick([0, 1, 5]) : pick([1, 2, 10, 20]);
    case 'Boolean':
      return chance(0.5);
    case 'DateTime':
      return new Date(Date.now() + 3_600_000).toISOString();
    case 'Upload':
      return null; // over JSON there is no file: refused as input, which is the point
    default:
      return 'x';
  }
}

/** A value of the wrong type for `type`, or of the right type but outside anything sensible. */
function wrongValue(type: GraphQLInputType): unknown {
  const nullable = getNullableType(type);
  if (isListType(nullable)) return pick(['not a list', [null], [[validValue(nullable.ofType, 'x')]], {}, 1]);
  if (isInputObjectType(nullable)) return pick(['x', [], {}, { unknownField: 1 }, 1, true]);
  if (isEnumType(nullable)) return pick(['NOPE', nullable.getValues()[0]!.value.toLowerCase(), 0, '', ['READ'], { value: 1 }]);
  switch (nullable.name) {
    case 'ID':
      return pick([true, false, {}, [], 1.5, -1, 2 ** 53, { id: 'x' }]);
    case 'String':
      return pick([123, true, {}, [], 1.5, ['a']]);
    case 'Int':
      return pick(['1', 1.5, 2147483648, -2147483649, 1e300, -1e300, true, [], {}, -1, 0, 2147483647, -2147483648]);
    case 'Boolean':
      return pick(['true', 1, 0, 'yes', [], {}]);
    case 'DateTime':
      return pick([
        'yesterday',
        '2020-13-45T99:99:99Z',
        '2020-02-30T00:00:00Z',
        '0000-01-01T00:00:00Z',
        '9999-12-31T23:59:59.999Z',
        '+275760-09-13T00:00:00.000Z',
        0,
        8.64e15,
        '2026-01-01T00:00:00',
      ]);
    default:
      return pick([1, true, {}, [], 'x']);
  }
}

function hugeValue(type: GraphQLInputType): unknown {
  const nullable = getNullableType(type);
  if (isListType(nullable)) return Array.from({ length: pick([1000, 5000]) }, () => validValue(nullable.ofType, 'userIds'));
  switch (getNamedType(type).name) {
    case 'Int':
      return pick([2147483647, -2147483648, 1_000_000]);
    case 'Boolean':
      return true;
    default:
      return pick(['x', 'ی', '🙂']).repeat(pick(HUGE_STRING_LENGTHS) / 2);
  }
}

/** PostgreSQL refuses U+0000 in text (22021): tried in half the cases, inside an otherwise valid value. */
const WITH_NUL = (valid: string) => pick(['\u0000', `${valid}\u0000`, `\u0000${valid}`, `${valid.slice(0, 1)}\u0000${valid.slice(1)}`]);

function controlValue(type: GraphQLInputType, name: string): unknown {
  const nullable = getNullableType(type);
  const valid = typeof validValue(type, name) === 'string' ? (validValue(type, name) as string) : 'x';
  const text = chance(0.5) ? WITH_NUL(valid) : pick(NASTY_STRINGS);
  if (isListType(nullable)) return [text, validValue(nullable.ofType, name)];
  if (isInputObjectType(nullable)) return text;
  return chance(0.3) ? `${valid}${text}` : text;
}

// ---------------------------------------------------------------- operations

interface Slot {
  path: string[];
  type: GraphQLInputType;
}

/** Every place a value goes: each argument, and each field of input objects inside them. */
function slotsOf(type: GraphQLInputType, at: string[]): Slot[] {
  const slots: Slot[] = [{ path: at, type }];
  const inner = getNamedType(type);
  if (isInputObjectType(inner) && at.length < 3) {
    for (const field of Object.values(inner.getFields())) slots.push(...slotsOf(field.type, [...at, field.name]));
  }
  return slots;
}

/** Leaf fields without required arguments, and object fields two levels down. */
function selectionOf(type: GraphQLOutputType, depth = 0): string {
  const inner = getNamedType(type);
  if (isLeafType(inner)) return '';
  if (!isObjectType(inner)) return ' { __typename }';
  const parts = ['__typename'];
  for (const field of Object.values(inner.getFields())) {
    if (field.args.some((arg) => isNonNullType(arg.type))) continue;
    if (isLeafType(getNamedType(field.type))) parts.push(field.name);
    else if (depth < 2) parts.push(`${field.name}${selectionOf(field.type, depth + 1)}`);
  }
  return ` { ${parts.join(' ')} }`;
}

interface Operation {
  kind: 'query' | 'mutation' | 'subscription';
  field: GraphQLField<unknown, unknown>;
  query: string;
}

const operations: Operation[] = (['query', 'mutation', 'subscription'] as const).flatMap((kind) => {
  const type = { query: schema.getQueryType(), mutation: schema.getMutationType(), subscription: schema.getSubscriptionType() }[kind];
  return Object.values(type?.getFields() ?? {}).map((field) => {
    const declarations = field.args.map((arg) => `$${arg.name}: ${String(arg.type)}`).join(', ');
    const call = field.args.map((arg) => `${arg.name}: $${arg.name}`).join(', ');
    const query = `${kind} Fuzz${declarations ? `(${declarations})` : ''} { ${field.name}${call ? `(${call})` : ''}${selectionOf(field.type)} }`;
    return { kind, field, query };
  });
});

type Transport = 'http' | 'express' | 'ws';

interface Case {
  operation: Operation;
  transport: Transport;
  variables: Record<string, unknown>;
  /** Fuzz, or now and then one that names no operation. */
  operationName: string;
  /** What was done to the variables, for the report. */
  mutation: string;
}

function setAt(target: Record<string, unknown>, at: string[], value: unknown, remove: boolean): void {
  let node: unknown = target;
  for (const key of at.slice(0, -1)) {
    if (typeof node !== 'object' || node === null) return;
    const next = (node as Record<string, unknown>)[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) (node as Record<string, unknown>)[key] = {};
    node = (node as Record<string, unknown>)[key];
  }
  const record = node as Record<string, unknown>;
  if (remove) delete record[at.at(-1)!];
  else record[at.at(-1)!] = value;
}

function drawCase(operation: Operation, transport: Transport): Case {
  const variables: Record<string, unknown> = {};
  for (const arg of operation.field.args) {
    if (isNonNullType(arg.type) || chance(0.5)) variables[arg.name] = validValue(arg.type, arg.name);
  }
  const slots = operation.field.args.flatMap((arg) => slotsOf(arg.type, [arg.name]));
  const mutations: string[] = [];
  const rounds = slots.length === 0 ? 0 : chance(0.2) ? 2 : 1;
  for (let i = 0; i < rounds; i++) {
    const slot = pick(slots);
    const name = slot.path.at(-1)!;
    const how = pick(['wrong', 'wrong', 'missing', 'null', 'huge', 'control', 'control'] as const);
    const value = how === 'wrong' ? wrongValue(slot.type) : how === 'huge' ? hugeValue(slot.type) : how === 'control' ? controlValue(slot.type, name) : null;
    setAt(variables, slot.path, value, how === 'missing');
    mutations.push(`${how} ${slot.path.join('.')}`);
  }
  if (chance(0.05)) {
    variables['undeclared'] = pick(NASTY_STRINGS);
    mutations.push('undeclared variable');
  }
  const operationName = chance(0.03) ? pick(['Nope', '', 'fuzz', '\u0000']) : 'Fuzz';
  if (operationName !== 'Fuzz') mutations.push(`operationName ${JSON.stringify(operationName)}`);
  return { operation, transport, variables, operationName, mutation: mutations.join(', ') || 'valid' };
}

const transportsOf = (operation: Operation): Transport[] => (operation.kind === 'subscription' ? ['ws', 'http'] : ['http', 'express', 'ws']);
/** All cases, drawn once the fixtures' ids are known and before anything is sent. */
const drawCases = (): Case[] =>
  operations.flatMap((operation) =>
    transportsOf(operation).flatMap((transport) => {
      const count = Math.ceil((SLOW_OPERATIONS.has(operation.field.name) ? CASES_PER_SLOW_OPERATION : CASES_PER_OPERATION) * (transport === 'ws' ? 1 : 0.5));
      return Array.from({ length: count }, () => drawCase(operation, transport));
    }),
  );

// ---------------------------------------------------------------- sending

interface Outcome {
  status?: number;
  errors: readonly GraphQLFormattedError[];
  /** Anything else that went wrong: a socket closed, a non-JSON answer, no answer. */
  failure?: string;
}

async function overHttp(item: Case): Promise<Outcome> {
  const response = await fetch(server.graphqlUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${viewer.accessToken}`,
      // A browser's request (an Origin) goes through Express; an app's takes the fast path.
      ...(item.transport === 'express' ? { origin: 'https://browser.example' } : {}),
    },
    body: JSON.stringify({ query: item.operation.query, variables: item.variables, operationName: item.operationName }),
  });
  const text = await response.text();
  try {
    const body = JSON.parse(text) as { errors?: GraphQLFormattedError[] };
    return { status: response.status, errors: body.errors ?? [] };
  } catch {
    return { status: response.status, errors: [], failure: `not JSON: ${text.slice(0, 200)}` };
  }
}

function socketFailure(error: unknown): string {
  const event = error as { code?: number; reason?: string; message?: string };
  return event.code !== undefined ? `socket closed ${event.code} ${event.reason ?? ''}` : `socket error ${event.message ?? String(error)}`;
}

/** A query or mutation over graphql-ws: every result until complete, or the error. */
function overWs(client: Client, item: Case): Promise<Outcome> {
  return new Promise((resolve) => {
    const errors: GraphQLFormattedError[] = [];
    client.subscribe(
      { query: item.operation.query, variables: item.variables, operationName: item.operationName },
      {
        next: (result) => void errors.push(...(result.errors ?? [])),
        error: (error) =>
          resolve(Array.isArray(error) ? { errors: [...errors, ...(error as GraphQLFormattedError[])] } : { errors, failure: socketFailure(error) }),
        complete: () => resolve({ errors }),
      },
    );
  });
}

/**
 * A subscription: it is refused (an error, a result with errors, complete) or
 * it starts, which shows as one more pub/sub listener on the server; then it
 * is stopped, and we wait for the listener to go. Run one at a time, so the
 * count is this subscription's.
 */
async function subscribeOverWs(client: Client, item: Case): Promise<Outcome> {
  const pubsub = server.pubsub as InProcessPubSub;
  const before = pubsub.subscriptionCount;
  const errors: GraphQLFormattedError[] = [];
  let ended: Outcome | undefined;
  const stop = client.subscribe(
    { query: item.operation.query, variables: item.variables, operationName: item.operationName },
    {
      next: (result) => {
        errors.push(...(result.errors ?? []));
        if (result.errors) ended ??= { errors };
      },
      error: (error) =>
        void (ended ??= Array.isArray(error) ? { errors: [...errors, ...(error as GraphQLFormattedError[])] } : { errors, failure: socketFailure(error) }),
      complete: () => void (ended ??= { errors }),
    },
  );
  const deadline = Date.now() + 5000;
  while (!ended && pubsub.subscriptionCount <= before) {
    if (Date.now() > deadline) return { errors, failure: 'subscription neither started nor was refused within 5 s' };
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  stop();
  while (pubsub.subscriptionCount > before) {
    if (Date.now() > deadline + 5000) return { errors, failure: 'subscription did not stop within 5 s' };
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return ended ?? { errors };
}

function problemsOf(item: Case, outcome: Outcome): string[] {
  const problems: string[] = [];
  if (outcome.failure) problems.push(outcome.failure);
  if (outcome.status !== undefined && outcome.status >= 500) problems.push(`HTTP ${outcome.status}`);
  for (const error of outcome.errors) {
    const code = error.extensions?.['code'];
    if (code === 'INTERNAL_SERVER_ERROR' || code === undefined) problems.push(`${String(code)}: ${error.message} at ${JSON.stringify(error.path ?? [])}`);
  }
  if (problems.length === 0) return [];
  const variables = JSON.stringify(item.variables, (_key, value: unknown) =>
    typeof value === 'string' && value.length > 80 ? `${value.slice(0, 40)}…(${value.length})` : value,
  );
  return [`${item.operation.field.name} over ${item.transport} (${item.mutation}) ${variables.slice(0, 400)}: ${problems.join('; ')}`];
}

describe('fuzzing every operation of schema.graphql', () => {
  it("answers every mistake as the client's, on both transports, and stays healthy", async () => {
    const cases = drawCases();
    const started = performance.now();
    const clients = Array.from({ length: 2 }, () =>
      createClient({
        url: server.wsUrl,
        webSocketImpl: WebSocket,
        lazy: true,
        retryAttempts: 0,
        connectionParams: { authorization: `Bearer ${viewer.accessToken}` },
      }),
    );
    const [queries, subscriptions] = clients as [Client, Client];
    const problems: string[] = [];
    const counts = { http: 0, express: 0, ws: 0 };
    try {
      const send = async (item: Case) => {
        counts[item.transport] += 1;
        const outcome =
          item.transport !== 'ws'
            ? await overHttp(item)
            : item.operation.kind === 'subscription'
              ? await subscribeOverWs(subscriptions, item)
              : await overWs(queries, item);
        problems.push(...problemsOf(item, outcome));
      };
      // Subscriptions over the socket one at a time (see subscribeOverWs), beside the rest.
      const isSocketSubscription = (item: Case) => item.transport === 'ws' && item.operation.kind === 'subscription';
      const parallel = cases.filter((item) => !isSocketSubscription(item));
      const serial = cases.filter(isSocketSubscription);
      let next = 0;
      const lanes = Array.from({ length: CONCURRENCY }, async () => {
        while (next < parallel.length) await send(parallel[next++]!);
      });
      const serialLane = (async () => {
        for (const item of serial) await send(item);
      })();
      await Promise.all([...lanes, serialLane]);
    } finally {
      await Promise.all(clients.map((client) => client.dispose()));
    }
    const seconds = (performance.now() - started) / 1000;
    console.info(
      `fuzz: ${cases.length} requests (HTTP ${counts.http}, Express ${counts.express}, WebSocket ${counts.ws}) over ${operations.length} operations in ${seconds.toFixed(1)} s`,
    );
    expect(problems, problems.join('\n')).toEqual([]);
    expect(cases.length).toBeGreaterThan(2000);
    expect(counts.ws).toBeGreaterThan(1000);

    // Still healthy: liveness, readiness, and a plain query on both transports.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    expect(expectNoErrors(await gql(server, '{ me { id } }', {}, { token: viewer.accessToken }))).toEqual({ me: { id: viewer.user.id } });
    const client = createClient({
      url: server.wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${viewer.accessToken}` },
    });
    try {
      const result = await new Promise<unknown>((resolve, reject) => {
        client.subscribe({ query: '{ me { id } }' }, { next: resolve, error: reject, complete: () => undefined });
      });
      expect(result).toEqual({ data: { me: { id: viewer.user.id } } });
    } finally {
      await client.dispose();
    }
  }, 300_000); // a guard against a hang, not a speed check: about 45 requests per operation, slow on a loaded machine
});
