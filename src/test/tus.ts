import { CreateUploadDocument } from './generated/graphql.js';
import { expectNoErrors, gql, type TestServer } from './server.js';

/** A tus 1.0 request as a client sends it: the protocol header, the bearer token, and for PATCH the offset and content type. */
export function tusHeaders(token: string | null, extra: Record<string, string> = {}): Record<string, string> {
  return { 'tus-resumable': '1.0.0', ...(token ? { authorization: `Bearer ${token}` } : {}), ...extra };
}

/** The same resource on another instance: what a load balancer without stickiness does. */
export function onInstance(url: string, server: Pick<TestServer, 'url'>): string {
  return new URL(new URL(url).pathname, server.url).toString();
}

/** HEAD: the offset to resume from (null when the answer is not 200). */
export async function tusOffset(url: string, token: string | null): Promise<{ status: number; offset: number | null; response: Response }> {
  const response = await fetch(url, { method: 'HEAD', headers: tusHeaders(token) });
  const offset = response.headers.get('upload-offset');
  return { status: response.status, offset: response.status === 200 && offset !== null ? Number(offset) : null, response };
}

/** PATCH `body` at `offset`. */
export async function tusPatch(
  url: string,
  token: string | null,
  offset: number,
  body: Uint8Array | ReadableStream<Uint8Array>,
  extra: Record<string, string> = {},
) {
  return fetch(url, {
    method: 'PATCH',
    headers: tusHeaders(token, { 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream', ...extra }),
    body,
    // A stream body needs half duplex (undici).
    ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit);
}

/** createUpload for `size` bytes; returns the session. */
export async function createUpload(server: TestServer, token: string, size: number, extra: { mimeType?: string; fileName?: string } = {}) {
  return expectNoErrors(await gql(server, CreateUploadDocument, { input: { size, ...extra } }, { token })).createUpload;
}

/** A whole resumable upload in one PATCH; resolves with the upload (and File) id once the server has made the File. */
export async function uploadResumable(server: TestServer, token: string, bytes: Uint8Array, fileName = 'file.bin'): Promise<string> {
  const upload = await createUpload(server, token, bytes.byteLength, { fileName });
  const response = await tusPatch(upload.url, token, 0, bytes);
  if (response.status !== 204) throw new Error(`tus PATCH answered ${response.status}: ${await response.text()}`);
  return upload.id;
}
