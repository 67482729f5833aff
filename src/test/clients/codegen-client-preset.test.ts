/**
 * graphql-codegen's client preset, as a client app runs it (README, "Client
 * libraries"): typed documents from `graphql()` calls in the app's source,
 * generated against schema.graphql and against the running server's URL
 * (the standard introspection query, which the cost limit must let through).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generate } from '@graphql-codegen/cli';
import type { CodegenConfig } from '@graphql-codegen/cli';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../server.js';

const root = process.cwd();
let server: TestServer;
let workDir: string;

/** A client app's source: what it asks for, and what it expects the types to allow and refuse. */
const APP_SOURCE = `
import type { ResultOf, VariablesOf } from '@graphql-typed-document-node/core';
import { graphql } from './gql';

export const ChatHistory = graphql(\`
  query ChatHistory($chatId: ID!, $after: String) {
    messages(chatId: $chatId, first: 20, after: $after) {
      edges { cursor node { id seq text cursor sender { id displayName online } } }
      pageInfo { hasNextPage endCursor }
    }
  }
\`);

export const PresenceWithUser = graphql(\`
  subscription PresenceWithUser { presence { userId status user { id online lastSeenAt } } }
\`);

export const Notifications = graphql(\`
  query Notifications { notifications(first: 20) { edges { node { id type title } } } }
\`);

type History = ResultOf<typeof ChatHistory>;
export const liveCursor = (data: History): string | undefined => data.messages.edges[0]?.node.cursor;
export const isOnline = (event: ResultOf<typeof PresenceWithUser>): boolean => event.presence.user.online;
export const variables: VariablesOf<typeof ChatHistory> = { chatId: 'c1', after: null };
export const mention: ResultOf<typeof Notifications>['notifications']['edges'][number]['node']['type'] = 'MENTION';

// @ts-expect-error chatId is required
export const missing: VariablesOf<typeof ChatHistory> = {};
// @ts-expect-error createdAt was not selected
export const notSelected = (data: History) => data.messages.edges[0]?.node.createdAt;
// @ts-expect-error Notification.type is an enum, not any string
export const unknownType: ResultOf<typeof Notifications>['notifications']['edges'][number]['node']['type'] = 'SOMETHING_ELSE';
`;

/** The README's codegen.yml for a client app, as the programmatic config; `schema` is a file or a URL. */
function clientConfig(schema: CodegenConfig['schema'], dir: string): CodegenConfig {
  return {
    schema,
    documents: [path.join(dir, 'app.ts')],
    generates: {
      [path.join(dir, 'gql') + '/']: {
        preset: 'client',
        config: { useTypeImports: true, enumsAsTypes: true, scalars: { DateTime: 'string', Upload: 'File' } },
      },
    },
    silent: true,
    ignoreNoDocuments: false,
  };
}

/** Type-checks the app against what was generated, as a bundler-based client project would (strict). */
function typeErrors(dir: string): string[] {
  const program = ts.createProgram([path.join(dir, 'app.ts')], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    skipLibCheck: true,
    types: [],
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
  });
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

async function appIn(name: string): Promise<string> {
  const dir = path.join(workDir, name);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'app.ts'), APP_SOURCE);
  return dir;
}

beforeAll(async () => {
  server = await startTestServer();
  // Inside the project, so the generated code resolves @graphql-typed-document-node/core from its node_modules.
  await mkdir(path.join(root, 'node_modules', '.cache'), { recursive: true });
  workDir = await mkdtemp(path.join(root, 'node_modules', '.cache', 'payamak-client-preset-'));
});
afterAll(async () => {
  await server?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('graphql-codegen client preset', () => {
  it('against schema.graphql: typed documents that compile, with the selected fields only and Notification.type as an enum', async () => {
    const dir = await appIn('from-file');
    await generate(clientConfig(path.join(root, 'schema.graphql'), dir), true);
    const generated = await readFile(path.join(dir, 'gql', 'graphql.ts'), 'utf8');
    expect(generated).toContain('export const ChatHistoryDocument');
    expect(generated).toMatch(/DocumentNode<ChatHistoryQuery, ChatHistoryQueryVariables>/);
    expect(generated).toMatch(/export type NotificationType =[\s\S]*'MENTION'/);
    expect(await readFile(path.join(dir, 'gql', 'gql.ts'), 'utf8')).toContain('export function graphql(');
    expect(typeErrors(dir)).toEqual([]);
  });

  it("against the running server's URL (introspection): the same types as from schema.graphql", async () => {
    const fromFile = await appIn('from-file-again');
    const fromUrl = await appIn('from-url');
    await generate(clientConfig(path.join(root, 'schema.graphql'), fromFile), true);
    await generate(clientConfig({ [server.graphqlUrl]: { headers: {} } }, fromUrl), true);
    expect(typeErrors(fromUrl)).toEqual([]);
    const [a, b] = await Promise.all([fromFile, fromUrl].map((dir) => readFile(path.join(dir, 'gql', 'graphql.ts'), 'utf8')));
    expect(b).toBe(a);
  });
});
