/** A lean HTTP/1.1 client on keep-alive sockets, the same for the floor and for Payamak. */
import http from 'node:http';

export const agent = new http.Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 64 });

export interface HttpResult {
  status: number;
  body: string;
}

export function postJson(url: string, body: unknown, headers: Record<string, string> = {}, timeoutMs = 30_000): Promise<HttpResult> {
  const payload = Buffer.from(JSON.stringify(body));
  return request(url, 'POST', payload, { 'content-type': 'application/json', 'content-length': String(payload.length), ...headers }, timeoutMs);
}

export function getText(url: string, timeoutMs = 30_000): Promise<HttpResult> {
  return request(url, 'GET', undefined, {}, timeoutMs);
}

/**
 * A keep-alive socket the server has just closed for idleness (Node's
 * keepAliveTimeout, 5 s) can be picked for a request at that moment: the
 * request then fails with ECONNRESET before the server read it. As Node's
 * documentation advises, such a request is sent again, once, on a new socket.
 */
async function request(url: string, method: string, payload: Buffer | undefined, headers: Record<string, string>, timeoutMs: number): Promise<HttpResult> {
  try {
    return await requestOnce(url, method, payload, headers, timeoutMs);
  } catch (error) {
    if ((error as { retryable?: boolean }).retryable) return requestOnce(url, method, payload, headers, timeoutMs);
    throw error;
  }
}

function requestOnce(url: string, method: string, payload: Buffer | undefined, headers: Record<string, string>, timeoutMs: number): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (req.reusedSocket && error.code === 'ECONNRESET') Object.assign(error, { retryable: true });
      reject(error);
    });
    req.end(payload);
  });
}

/** A GraphQL operation over HTTP POST; throws on transport errors and GraphQL errors. */
export async function graphql<T>(url: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
  const result = await postJson(`${url}/graphql`, { query, variables }, token ? { authorization: `Bearer ${token}` } : {});
  let parsed: { data?: T; errors?: { message: string }[] };
  try {
    parsed = JSON.parse(result.body) as typeof parsed;
  } catch {
    throw new Error(`HTTP ${result.status}: ${result.body.slice(0, 300)}`);
  }
  if (parsed.errors?.length) throw new Error(`GraphQL error: ${parsed.errors.map((e) => e.message).join('; ')}`);
  if (parsed.data === undefined) throw new Error(`HTTP ${result.status} without data`);
  return parsed.data;
}

/** Prometheus text at `metricsUrl` (…/metrics, the metrics listener) → value per series ("name" or "name{labels}"). */
export async function scrapeMetrics(metricsUrl: string | undefined): Promise<Map<string, number>> {
  if (metricsUrl === undefined) throw new Error('no metrics URL: the server did not print "Metrics (Prometheus): …"');
  const { body } = await getText(metricsUrl);
  const series = new Map<string, number>();
  for (const line of body.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    series.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return series;
}
