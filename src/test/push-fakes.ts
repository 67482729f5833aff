/**
 * Local stand-ins for Apple's and Google's push services, checking each
 * request as the real ones would: the APNs fake is HTTP/2 over TLS with a
 * certificate made for the test (the server trusts it through the test-only
 * `pushTestCa`), verifies the provider JWT (ES256) with the team key's public
 * half, and records headers and payload; the FCM fake runs the OAuth2 JWT
 * bearer exchange (verifying the RS256 assertion) and checks that messages
 * carry the token it issued. Both answer each device with the statuses
 * queued for its token (`answer(token, …)`), else success: one test's
 * answers are never taken by another device's push still in flight.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes, verify, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface FakeAnswer {
  status: number;
  /** APNs: the `reason`; FCM: the error's `errorCode` detail. */
  reason?: string;
}

/** Decodes a compact JWS and checks its signature; throws when it does not verify. */
function verifiedJwt(token: string, key: KeyObject, alg: 'ES256' | 'RS256'): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  const [header, claims, signature] = token.split('.');
  if (!header || !claims || !signature) throw new Error('not a JWT');
  const data = Buffer.from(`${header}.${claims}`);
  const ok =
    alg === 'ES256'
      ? verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'))
      : verify('sha256', data, key, Buffer.from(signature, 'base64url'));
  if (!ok) throw new Error('bad signature');
  const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
  const decoded = { header: decode(header), claims: decode(claims) };
  if (decoded.header['alg'] !== alg) throw new Error(`alg is not ${alg}`);
  return decoded;
}

/** A team's APNs signing key (.p8: PKCS#8 PEM, P-256), written to a file as Apple hands it out. */
export function apnsKey(dir: string): { file: string; keyId: string; teamId: string; publicKey: KeyObject } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const file = path.join(dir, 'AuthKey.p8');
  writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  return { file, keyId: 'KEY1234567', teamId: 'TEAM123456', publicKey };
}

export interface ApnsRequestSeen {
  path: string;
  token: string;
  headers: http2.IncomingHttpHeaders;
  payload: Record<string, unknown> & { aps: Record<string, unknown> };
  claims: Record<string, unknown>;
}

export async function startFakeApns(key: { keyId: string; teamId: string; publicKey: KeyObject }) {
  const dir = mkdtempSync(path.join(tmpdir(), 'fake-apns-'));
  // A certificate for 127.0.0.1, made for this run: the sender trusts it as its test-only CA.
  const openssl = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1'];
  execFileSync('openssl', [...openssl, '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], {
    stdio: 'ignore',
  });
  const cert = readFileSync(path.join(dir, 'cert.pem'), 'utf8');
  const received: ApnsRequestSeen[] = [];
  const refused: string[] = [];
  const answers = new Map<string, FakeAnswer[]>();
  const server = http2.createSecureServer({ key: readFileSync(path.join(dir, 'key.pem')), cert });
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      const answer = (status: number, reason?: string) => {
        stream.respond({ ':status': status, 'content-type': 'application/json' });
        stream.end(reason ? JSON.stringify({ reason }) : undefined);
      };
      const requestPath = String(headers[':path']);
      const match = /^\/3\/device\/([0-9a-f]+)$/.exec(requestPath);
      let claims: Record<string, unknown>;
      try {
        if (headers[':method'] !== 'POST' || !match) throw new Error(`bad request line ${headers[':method']} ${requestPath}`);
        const bearer = /^bearer (.+)$/.exec(String(headers['authorization'] ?? ''))?.[1];
        if (!bearer) throw new Error('no provider token');
        const jwt = verifiedJwt(bearer, key.publicKey, 'ES256');
        if (jwt.header['kid'] !== key.keyId || jwt.claims['iss'] !== key.teamId) throw new Error('wrong kid or iss');
        if (Math.abs(Number(jwt.claims['iat']) - Date.now() / 1000) > 3600) throw new Error('stale iat');
        claims = jwt.claims;
        for (const name of ['apns-push-type', 'apns-topic', 'apns-priority']) if (!headers[name]) throw new Error(`no ${name}`);
      } catch (error) {
        refused.push((error as Error).message);
        return answer(403, 'InvalidProviderToken');
      }
      const payload = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ApnsRequestSeen['payload'];
      received.push({ path: requestPath, token: match[1]!, headers, payload, claims });
      const next = answers.get(match[1]!)?.shift();
      answer(next?.status ?? 200, next?.reason);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    ca: cert,
    received,
    /** Requests refused for a bad JWT or missing header (empty when the sender is right). */
    refused,
    /** Queues what the next pushes to this token are answered. */
    answer: (token: string, ...queued: FakeAnswer[]) => void answers.set(token, [...(answers.get(token) ?? []), ...queued]),
    /** Requests to one device. */
    to: (token: string) => received.filter((request) => request.token === token),
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A service-account key as Google hands it out, pointing at the fake's token endpoint. */
export function fcmServiceAccount(dir: string, tokenUri: string) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const account = {
    type: 'service_account',
    project_id: 'payamak-test',
    private_key_id: 'key-1',
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    client_email: 'push@payamak-test.iam.gserviceaccount.com',
    token_uri: tokenUri,
  };
  const file = path.join(dir, 'service-account.json');
  writeFileSync(file, JSON.stringify(account));
  return { file, account, publicKey };
}

export interface FcmMessageSeen {
  token: string;
  message: Record<string, unknown> & { data?: Record<string, string> };
}

export async function startFakeFcm() {
  let publicKey: KeyObject | undefined;
  let clientEmail = '';
  const tokens = new Set<string>();
  const tokenRequests: Record<string, unknown>[] = [];
  const received: FcmMessageSeen[] = [];
  const refused: string[] = [];
  const answers = new Map<string, FakeAnswer[]>();
  const read = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
  const server = createServer(async (req, res) => {
    const body = await read(req);
    const json = (status: number, value: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
    if (req.method === 'POST' && req.url === '/token') {
      try {
        const form = new URLSearchParams(body);
        if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') throw new Error('bad grant_type');
        const { claims, header } = verifiedJwt(form.get('assertion') ?? '', publicKey!, 'RS256');
        if (claims['iss'] !== clientEmail || claims['aud'] !== `${url}/token` || claims['scope'] !== 'https://www.googleapis.com/auth/firebase.messaging') {
          throw new Error('bad claims');
        }
        tokenRequests.push({ header, claims });
      } catch (error) {
        refused.push((error as Error).message);
        return json(400, { error: 'invalid_grant' });
      }
      const token = `ya29.${randomBytes(16).toString('hex')}`;
      tokens.add(token);
      return json(200, { access_token: token, expires_in: 3599, token_type: 'Bearer' });
    }
    if (req.method === 'POST' && req.url === '/v1/projects/payamak-test/messages:send') {
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (!bearer || !tokens.has(bearer)) {
        refused.push('unknown bearer');
        return json(401, { error: { status: 'UNAUTHENTICATED' } });
      }
      const { message } = JSON.parse(body) as { message: FcmMessageSeen['message'] };
      received.push({ token: String(message['token']), message });
      const next = answers.get(String(message['token']))?.shift();
      if (!next || next.status === 200) return json(200, { name: `projects/payamak-test/messages/${received.length}` });
      return json(next.status, {
        error: {
          code: next.status,
          status: next.reason === 'UNREGISTERED' ? 'NOT_FOUND' : 'UNAVAILABLE',
          details: next.reason ? [{ errorCode: next.reason }] : [],
        },
      });
    }
    json(404, { error: { status: 'NOT_FOUND', message: `no route ${req.method} ${req.url}` } });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    refused,
    /** Queues what the next pushes to this token are answered. */
    answer: (token: string, ...queued: FakeAnswer[]) => void answers.set(token, [...(answers.get(token) ?? []), ...queued]),
    tokenRequests,
    /** The service account whose key the token endpoint checks assertions with. */
    trust(account: { client_email: string }, key: KeyObject) {
      clientEmail = account.client_email;
      publicKey = key;
    },
    to: (token: string) => received.filter((request) => request.token === token),
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
