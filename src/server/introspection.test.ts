/**
 * ENABLE_INTROSPECTION=false (production's default): the schema is not handed
 * out over either transport, neither by introspection nor piece by piece in
 * "Did you mean …?" hints.
 */
import type { FormattedExecutionResult } from 'graphql';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../test/factories.js';
import { gql, startTestServer, wsClient, overSocket, type TestServer } from '../test/server.js';

const SCHEMA = '{ __schema { types { name } } }';
const TYPE = '{ __type(name: "User") { name } }';
const MISSPELT = '{ mee { id } }';

interface Transports {
  http(query: string): Promise<FormattedExecutionResult>;
  ws(query: string): Promise<FormattedExecutionResult>;
}

async function transports(server: TestServer, clients: Client[]): Promise<Transports> {
  const { accessToken } = await createUser(server);
  const client = wsClient(server, accessToken);
  clients.push(client);
  return {
    http: async (query) => {
      const { data, errors } = await gql(server, query, {}, { token: accessToken });
      return { ...(data === undefined ? {} : { data: data as Record<string, unknown> }), ...(errors ? { errors } : {}) };
    },
    ws: (query) => overSocket(client, query),
  };
}

let production: TestServer;
let development: TestServer;
const clients: Client[] = [];
let off: Transports;
let on: Transports;

beforeAll(async () => {
  [production, development] = await Promise.all([startTestServer({ ENABLE_INTROSPECTION: 'false' }), startTestServer()]);
  [off, on] = await Promise.all([transports(production, clients), transports(development, clients)]);
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.dispose()));
  await Promise.all([production?.close(), development?.close()]);
});

describe('with introspection off', () => {
  for (const transport of ['http', 'ws'] as const) {
    it(`refuses __schema and __type over ${transport} with BAD_USER_INPUT`, async () => {
      for (const query of [SCHEMA, TYPE]) {
        const result = await off[transport](query);
        expect(result.data, query).toBeUndefined();
        // graphql-js' rule names each introspection field (__schema, then types); Apollo's only the first.
        expect(result.errors?.length, query).toBeGreaterThan(0);
        for (const error of result.errors!) {
          expect(error.extensions?.['code'], JSON.stringify(error)).toBe('BAD_USER_INPUT');
          expect(error.message).toMatch(/introspection/i);
        }
      }
    });

    it(`answers a misspelt field over ${transport} without "Did you mean"`, async () => {
      const result = await off[transport](MISSPELT);
      expect(result.errors?.map((e) => e.extensions?.['code'])).toEqual(['BAD_USER_INPUT']);
      const { message } = result.errors![0]!;
      expect(message).toMatch(/Cannot query field "mee" on type "Query"/);
      expect(message).not.toMatch(/Did you mean/);
      expect(message).not.toMatch(/"me"/);
    });

    it(`still answers __typename over ${transport}`, async () => {
      expect(await off[transport]('{ __typename }')).toEqual({ data: { __typename: 'Query' } });
    });
  }
});

describe('with introspection on (development, tests)', () => {
  for (const transport of ['http', 'ws'] as const) {
    it(`answers __schema and __type over ${transport}`, async () => {
      const schema = await on[transport](SCHEMA);
      expect(schema.errors).toBeUndefined();
      expect((schema.data as { __schema: { types: { name: string }[] } }).__schema.types.map((t) => t.name)).toContain('User');
      expect(await on[transport](TYPE)).toEqual({ data: { __type: { name: 'User' } } });
    });

    it(`suggests the field meant over ${transport}`, async () => {
      const result = await on[transport](MISSPELT);
      expect(result.errors?.[0]?.message).toMatch(/Did you mean "me"\?/);
    });
  }
});
