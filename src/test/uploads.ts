import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type GraphQLFormattedError } from 'graphql';
import type { GraphQLResponse, TestServer } from './server.js';

/** One file part of a multipart request. */
export interface UploadPart {
  /** Bytes, or a Blob (e.g. `fs.openAsBlob(path)`, streamed from disk by fetch). */
  data: Uint8Array | Blob;
  /** The client's file name. */
  name: string;
  /** The client's MIME type; the server ignores it. Default application/octet-stream. */
  type?: string;
}

/** Variables with their `Upload` fields (typed `File` by codegen) left null: the files travel as parts. */
export type UploadVariables<T> = T extends File
  ? File | null
  : T extends readonly unknown[]
    ? T
    : T extends object
      ? { [K in keyof T]: UploadVariables<T[K]> }
      : T;

/**
 * Sends an operation as a GraphQL multipart request
 * (https://github.com/jaydenseric/graphql-multipart-request-spec): an
 * `operations` part with the files' variables set to null, a `map` part naming
 * where each file goes, then the files. `files` is keyed by variable path,
 * e.g. `{ 'input.file': { data, name } }`.
 */
export async function gqlUpload<TData, TVariables>(
  server: Pick<TestServer, 'graphqlUrl'>,
  document: TypedDocumentNode<TData, TVariables>,
  variables: UploadVariables<TVariables>,
  files: Record<string, UploadPart>,
  options: { token?: string; preflight?: boolean; headers?: Record<string, string> } = {},
): Promise<GraphQLResponse<TData>> {
  const operations = { query: print(document), variables: structuredClone(variables) as Record<string, unknown> };
  const map: Record<string, string[]> = {};
  const form = new FormData();
  Object.keys(files).forEach((variablePath, i) => {
    setPath(operations.variables, variablePath, null);
    map[String(i)] = [`variables.${variablePath}`];
  });
  form.append('operations', JSON.stringify(operations));
  form.append('map', JSON.stringify(map));
  Object.values(files).forEach((file, i) => {
    const blob = file.data instanceof Blob ? file.data : new Blob([file.data], { type: file.type ?? 'application/octet-stream' });
    form.append(String(i), blob, file.name);
  });
  const response = await fetch(server.graphqlUrl, {
    method: 'POST',
    headers: {
      ...(options.preflight === false ? {} : { 'apollo-require-preflight': 'true' }),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: form,
  });
  const text = await response.text();
  let body: { data?: TData | null; errors?: GraphQLFormattedError[] };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new Error(`HTTP ${response.status}, not JSON: ${text.slice(0, 300)}`);
  }
  return { status: response.status, data: body.data, errors: body.errors, headers: response.headers };
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[keys.at(-1)!] = value;
}

/** Every regular file under `dir`, as paths relative to it (empty when `dir` does not exist). */
export async function listFiles(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries
      .filter((e) => e.isFile())
      .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/**
 * Samples this process's resident set size every `intervalMs` while `work`
 * runs; resolves with the work's result and the peak growth over the RSS at
 * the start, in bytes. (The test server runs in this process.)
 */
export async function withPeakRss<T>(work: () => Promise<T>, intervalMs = 10): Promise<{ result: T; peakGrowth: number }> {
  const base = process.memoryUsage.rss();
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, intervalMs);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { result, peakGrowth: peak - base };
  } finally {
    clearInterval(timer);
  }
}
