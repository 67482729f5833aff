import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per server, so several servers in one process (tests) do not collide. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests by method, route and status code.',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by method and route.',
      labelNames: ['method', 'route'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    // Labelled by root field, not by client-chosen operation name, so a client
    // cannot grow the label set without bound. transport: http (POST and GET
    // /graphql) or ws (operations over graphql-ws, subscriptions included).
    graphqlOperations: new Counter({
      name: 'graphql_operations_total',
      help: 'GraphQL operations by type, root field, transport and outcome.',
      labelNames: ['type', 'field', 'transport', 'outcome'] as const,
      registers: [registry],
    }),
    graphqlDuration: new Histogram({
      name: 'graphql_operation_duration_seconds',
      help: 'GraphQL query and mutation duration by type and root field.',
      labelNames: ['type', 'field', 'transport'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    websocketConnections: new Gauge({
      name: 'websocket_connections',
      help: 'Open graphql-ws connections.',
      registers: [registry],
    }),
    websocketConnectionsTotal: new Counter({
      name: 'websocket_connections_total',
      help: 'graphql-ws connections accepted since start.',
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Where {@link serveMetrics} listens. */
export interface MetricsListenOptions {
  /** METRICS_PORT (9464); 0 picks a free port. */
  port: number;
  /** METRICS_HOST (127.0.0.1): keep it off the public interface; Prometheus scrapes it from inside. */
  host: string;
}

/** A running metrics listener. */
export interface MetricsServer {
  /** The port it actually listens on (the free one picked for port 0). */
  port: number;
  close(): Promise<void>;
}

/**
 * GET /metrics in Prometheus' text format, on a listener of its own: the
 * metrics name routes, counts and the process' memory, which the API port
 * (public, behind the proxy) should not tell anyone. Every other path is 404.
 */
export async function serveMetrics(metrics: Metrics, { port, host }: MetricsListenOptions): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    const path = req.url?.split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n');
      return;
    }
    metrics.registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': metrics.registry.contentType, 'content-length': Buffer.byteLength(text) });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      () => {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('Metrics unavailable\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      // Node closes idle keep-alive connections itself; a scrape in flight is answered first.
      new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
