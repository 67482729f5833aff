/**
 * Outside production, the tools developers point at /graphql (Apollo Sandbox,
 * graphql-codegen, GraphiQL) introspect the whole schema over HTTP and over
 * WebSocket: introspection is charged neither by the cost limit nor by the
 * depth limit, which still count every real field beside it. With
 * introspection off the same queries stay refused.
 */
import { getIntrospectionQuery, type FormattedExecutionResult } from 'graphql';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, type TestUser } from '../test/factories.js';
import { startTestServer, wsClient, overSocket, type TestServer } from '../test/server.js';

/** graphql-js' standard query with every option. */
const STANDARD = getIntrospectionQuery({
  descriptions: true,
  specifiedByUrl: true,
  directiveIsRepeatable: true,
  inputValueDeprecation: true,
  schemaDescription: true,
});

/**
 * The shape Apollo Sandbox's Explorer sends (operation name IntrospectionQuery;
 * deprecated arguments and input fields with their reasons, `isOneOf`, and a
 * deeper TypeRef than graphql-js'), as a superset of what it asks for.
 */
const TYPE_REF = `fragment TypeRef on __Type { kind name ${'ofType { kind name '.repeat(9)}${'} '.repeat(9)}}`;
const SANDBOX = `
  query IntrospectionQuery {
    __schema {
      description
      queryType { name } mutationType { name } subscriptionType { name }
      types { ...FullType }
      directives { name description isRepeatable locations args(includeDeprecated: true) { ...InputValue } }
    }
  }
  fragment FullType on __Type {
    kind name description specifiedByURL isOneOf
    fields(includeDeprecated: true) { name description args(includeDeprecated: true) { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
    inputFields(includeDeprecated: true) { ...InputValue }
    interfaces { ...TypeRef }
    enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
    possibleTypes { ...TypeRef }
  }
  fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue isDeprecated deprecationReason }
  ${TYPE_REF}`;

/** One type in full, as documentation explorers ask for it (depth 20 by graphql-armor's count). */
const ONE_TYPE = `query { __type(name: "Query") { ...FullType } } ${SANDBOX.slice(SANDBOX.indexOf('fragment FullType'))}`;

/** A page of 100 chats with members in each, ~20,000 by the estimate. */
const EXPENSIVE = 'chats(first: 100) { edges { node { members { user { id } } lastMessage { chat { members { user { id } } } } } } }';
const DEEP = `chats { edges { node { ${'lastMessage { chat { '.repeat(5)}id${' } }'.repeat(5)} } } }`;

type Send = (query: string, operationName?: string) => Promise<FormattedExecutionResult & { status?: number }>;

function overHttp(server: TestServer, user: TestUser, headers: Record<string, string>): Send {
  return async (query, operationName) => {
    const response = await fetch(server.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${user.accessToken}`, ...headers },
      body: JSON.stringify({ query, ...(operationName ? { operationName } : {}) }),
    });
    return { status: response.status, ...((await response.json()) as FormattedExecutionResult) };
  };
}

const clients: Client[] = [];
async function transports(server: TestServer): Promise<Record<string, Send>> {
  const user = await createUser(server);
  const client = wsClient(server, user.accessToken);
  clients.push(client);
  return {
    'HTTP (app)': overHttp(server, user, {}),
    // Sandbox runs in a browser: its requests carry an Origin (the same pipeline, CORS applied).
    'HTTP (browser)': overHttp(server, user, { origin: server.url }),
    WebSocket: (query, operationName) => overSocket(client, query, undefined, operationName),
  };
}

let development: TestServer;
let production: TestServer;
let on: Record<string, Send>;
let off: Record<string, Send>;

beforeAll(async () => {
  [development, production] = await Promise.all([startTestServer(), startTestServer({ ENABLE_INTROSPECTION: 'false' })]);
  [on, off] = await Promise.all([transports(development), transports(production)]);
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.dispose()));
  await Promise.all([development?.close(), production?.close()]);
});

const typeNames = (result: FormattedExecutionResult) =>
  ((result.data?.['__schema'] as { types: { name: string }[] } | undefined)?.types ?? []).map((t) => t.name);

describe('with introspection on', () => {
  for (const transport of ['HTTP (app)', 'HTTP (browser)', 'WebSocket']) {
    it(`answers the standard introspection query with every option over ${transport}`, async () => {
      const result = await on[transport]!(STANDARD);
      expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
      if (result.status !== undefined) expect(result.status).toBe(200);
      expect(typeNames(result)).toEqual(expect.arrayContaining(['User', 'Chat', 'Message', 'DateTime']));
    });

    it(`answers Sandbox's introspection query over ${transport}`, async () => {
      const result = await on[transport]!(SANDBOX, 'IntrospectionQuery');
      expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
      expect(typeNames(result)).toContain('Subscription');
    });

    it(`answers one type in full (__type) over ${transport}`, async () => {
      const result = await on[transport]!(ONE_TYPE);
      expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
      expect((result.data?.['__type'] as { fields: { name: string }[] } | undefined)?.fields.map((f) => f.name)).toContain('chats');
    });

    it(`still refuses the real fields beside __schema over ${transport}: cost`, async () => {
      const alone = await on[transport]!(`{ a: ${EXPENSIVE} b: ${EXPENSIVE} }`);
      const mixed = await on[transport]!(`{ __schema { types { name fields { name } } } a: ${EXPENSIVE} b: ${EXPENSIVE} }`);
      for (const result of [alone, mixed]) {
        expect(result.errors?.map((e) => e.extensions?.['code'])).toEqual(['BAD_USER_INPUT']);
        expect(result.errors![0]!.extensions?.['reason']).toBe('QUERY_TOO_COMPLEX');
        if (result.status !== undefined) expect(result.status).toBe(400);
      }
      // The introspection beside it adds nothing to the estimate.
      expect(mixed.errors![0]!.extensions?.['cost']).toBe(alone.errors![0]!.extensions?.['cost']);
    });

    it(`still refuses the real fields beside __schema over ${transport}: depth`, async () => {
      const result = await on[transport]!(`query { __schema { queryType { name } } __type(name: "Chat") { name } ${DEEP} }`);
      expect(result.errors?.map((e) => e.extensions?.['code'])).toEqual(['BAD_USER_INPUT']);
      expect(result.errors![0]!.message).toMatch(/^Query depth limit of 12 exceeded/);
      expect(result.errors![0]!.extensions?.['reason']).toBe('QUERY_TOO_COMPLEX');
    });

    it(`refuses introspection nested past graphql-js' own limit over ${transport}`, async () => {
      const result = await on[transport]!('{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }');
      expect(result.errors?.map((e) => e.extensions?.['code'])).toEqual(['BAD_USER_INPUT']);
      expect(result.errors![0]!.message).toMatch(/Maximum introspection depth exceeded/);
      if (result.status !== undefined) expect(result.status).toBe(400);
    });
  }
});

describe('with introspection off (production)', () => {
  for (const transport of ['HTTP (app)', 'HTTP (browser)', 'WebSocket']) {
    it(`refuses the standard, Sandbox's and __type queries over ${transport}`, async () => {
      for (const query of [STANDARD, SANDBOX, ONE_TYPE]) {
        const result = await off[transport]!(query);
        expect(result.data ?? undefined).toBeUndefined();
        expect(result.errors?.length).toBeGreaterThan(0);
        for (const error of result.errors!) {
          expect(error.extensions?.['code']).toBe('BAD_USER_INPUT');
          expect(error.message).toMatch(/introspection/i);
        }
        if (result.status !== undefined) expect(result.status).toBe(400);
      }
    });
  }
});
