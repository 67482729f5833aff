import { createECDH, randomBytes } from 'node:crypto';
import type { LookupAddress } from 'node:dns';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import webpush from 'web-push';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../test/factories.js';
import { RegisterPushSubscriptionDocument } from '../../test/generated/graphql.js';
import { expectErrorCode, gql, startTestServer, type TestServer } from '../../test/server.js';
import type { Logger } from '../../lib/logger.js';
import { DevicesService } from './devices.service.js';
import { PushDelivery } from './push-delivery.js';
import { PushEndpointGuard, PushEndpointRefusedError, classifyAddress, pinnedLookup, type PushEndpointLookup } from './push-endpoint.js';
import { WebPushPlatform, WebPushSender } from './web-push.js';

/** A resolver for names that do not exist: answers from the table, and records what it was asked. */
function fakeDns(table: Record<string, string[]>) {
  const asked: string[] = [];
  const lookup: PushEndpointLookup = async (hostname) => {
    asked.push(hostname);
    const addresses = table[hostname];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address): LookupAddress => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { lookup, asked, table };
}

const noDns: PushEndpointLookup = async (hostname) => {
  throw new Error(`a literal must not be resolved (asked for ${hostname})`);
};

/** Resolves with the refusal (kind and log details), or with "accepted <address>" when the check passes. */
const verdict = (guard: PushEndpointGuard, endpoint: string) =>
  guard.check(endpoint).then(
    (checked) => `accepted ${checked.address}`,
    (error: unknown) => {
      if (!(error instanceof PushEndpointRefusedError)) throw error;
      return `${error.refusal} ${error.details.range ?? ''}`.trim();
    },
  );

describe('classifyAddress', () => {
  it('allows only public unicast, unwrapping IPv4-mapped IPv6', () => {
    expect(classifyAddress('8.8.8.8')).toEqual({ allowed: true, range: 'unicast', address: '8.8.8.8', family: 4 });
    expect(classifyAddress('2606:4700::1111')).toMatchObject({ allowed: true, family: 6 });
    expect(classifyAddress('::ffff:8.8.8.8')).toEqual({ allowed: true, range: 'unicast', address: '8.8.8.8', family: 4 });
    expect(classifyAddress('::ffff:127.0.0.1')).toMatchObject({ allowed: false, range: 'loopback', address: '127.0.0.1' });
    expect(classifyAddress('::ffff:10.0.0.1')).toMatchObject({ allowed: false, range: 'private' });
    expect(classifyAddress('127.0.0.1', { allowLoopback: true })).toMatchObject({ allowed: true, range: 'loopback' });
    expect(classifyAddress('10.0.0.1', { allowLoopback: true })).toMatchObject({ allowed: false, range: 'private' });
    // ipaddr.js would read these as IPv4; only canonical literals are judged.
    expect(classifyAddress('2130706433')).toMatchObject({ allowed: false, range: 'invalid' });
    expect(classifyAddress('0x7f000001')).toMatchObject({ allowed: false, range: 'invalid' });
  });
});

describe('PushEndpointGuard (strict: production)', () => {
  const guard = new PushEndpointGuard({ lookup: noDns });

  it.each([
    ['https://[::]/', 'unspecified'],
    ['https://[::1]/', 'loopback'],
    ['https://100.64.0.1/', 'carrierGradeNat'],
    ['https://2130706433/', 'loopback'],
    ['https://0x7f000001/', 'loopback'],
    ['https://[::ffff:127.0.0.1]/', 'loopback'],
    ['https://[fd00::1]/', 'uniqueLocal'],
    ['https://169.254.169.254/latest/meta-data/', 'linkLocal'],
    ['https://224.0.0.1/', 'multicast'],
    ['https://0.0.0.0/', 'unspecified'],
    ['https://255.255.255.255/', 'broadcast'],
    ['https://10.1.2.3/', 'private'],
    ['https://192.168.0.9/', 'private'],
    ['https://172.16.0.1/', 'private'],
    ['https://[fe80::1]/', 'linkLocal'],
    ['https://[ff02::1]/', 'multicast'],
    ['https://[2002:c000:204::1]/', '6to4'],
    ['https://[2001::1]/', 'teredo'],
    ['https://[64:ff9b::a00:1]/', 'rfc6052'],
    ['https://240.0.0.1/', 'reserved'],
  ])('refuses %s (%s)', async (endpoint, range) => {
    expect(await verdict(guard, endpoint)).toBe(`forbidden ${range}`);
  });

  it('accepts a public address without resolving or connecting', async () => {
    expect(await guard.check('https://8.8.8.8/push/abc')).toEqual({ url: 'https://8.8.8.8/push/abc', hostname: '8.8.8.8', address: '8.8.8.8', family: 4 });
    expect(await guard.check('https://[2606:4700::1111]/x')).toMatchObject({ hostname: '2606:4700::1111', address: '2606:4700::1111', family: 6 });
  });

  it('refuses http, other schemes, non-URLs and overlong URLs', async () => {
    expect(await verdict(guard, 'http://8.8.8.8/')).toBe('invalid');
    expect(await verdict(guard, 'ftp://8.8.8.8/')).toBe('invalid');
    expect(await verdict(guard, 'not a url')).toBe('invalid');
    expect(await verdict(guard, `https://8.8.8.8/${'a'.repeat(2048)}`)).toBe('invalid');
  });

  it('resolves names and refuses when any of their addresses is not public', async () => {
    const dns = fakeDns({
      'private.example.test': ['10.0.0.1'],
      'mapped.example.test': ['::ffff:127.0.0.1'],
      'cgnat.example.test': ['100.64.0.1'],
      'metadata.example.test': ['169.254.169.254'],
      'mixed.example.test': ['93.184.215.14', '10.0.0.1'],
      'mixed6.example.test': ['2606:4700::1111', 'fd00::1'],
      'push.example.test': ['93.184.215.14', '2606:4700::1111'],
      'empty.example.test': [],
    });
    const resolving = new PushEndpointGuard({ lookup: dns.lookup });
    expect(await verdict(resolving, 'https://private.example.test/x')).toBe('forbidden private');
    expect(await verdict(resolving, 'https://mapped.example.test/x')).toBe('forbidden loopback');
    expect(await verdict(resolving, 'https://cgnat.example.test/x')).toBe('forbidden carrierGradeNat');
    expect(await verdict(resolving, 'https://metadata.example.test/x')).toBe('forbidden linkLocal');
    expect(await verdict(resolving, 'https://mixed.example.test/x')).toBe('forbidden private');
    expect(await verdict(resolving, 'https://mixed6.example.test/x')).toBe('forbidden uniqueLocal');
    expect(await verdict(resolving, 'https://nowhere.example.test/x')).toBe('unresolved');
    expect(await verdict(resolving, 'https://empty.example.test/x')).toBe('unresolved');
    expect(await resolving.check('https://PUSH.example.test/send/1')).toEqual({
      url: 'https://push.example.test/send/1',
      hostname: 'push.example.test',
      address: '93.184.215.14',
      family: 4,
    });
    expect(dns.asked).toContain('push.example.test');
  });
});

describe('PushEndpointGuard (allowInsecure: tests, development)', () => {
  const dns = fakeDns({ 'local.example.test': ['127.0.0.1', '::1'], 'private.example.test': ['10.0.0.1'], 'cgnat.example.test': ['100.64.0.1'] });
  const guard = new PushEndpointGuard({ allowInsecure: true, lookup: dns.lookup });

  it('allows http and loopback, and still refuses private, CGNAT and the rest', async () => {
    expect(await verdict(guard, 'http://127.0.0.1:9/x')).toBe('accepted 127.0.0.1');
    expect(await verdict(guard, 'http://[::1]:9/x')).toBe('accepted ::1');
    expect(await verdict(guard, 'http://local.example.test:9/x')).toBe('accepted 127.0.0.1');
    expect(await verdict(guard, 'http://private.example.test/x')).toBe('forbidden private');
    expect(await verdict(guard, 'https://cgnat.example.test/x')).toBe('forbidden carrierGradeNat');
    expect(await verdict(guard, 'http://[::]/')).toBe('forbidden unspecified');
    expect(await verdict(guard, 'http://169.254.169.254/')).toBe('forbidden linkLocal');
    expect(await verdict(guard, 'ftp://127.0.0.1/')).toBe('invalid');
  });
});

describe('pinnedLookup', () => {
  it('answers every query with the checked address, in both callback shapes', () => {
    const lookup = pinnedLookup({ address: '127.0.0.1', family: 4 });
    const single: unknown[] = [];
    const all: unknown[] = [];
    lookup('anything.example.test', {}, (...args) => single.push(...args));
    lookup('anything.example.test', { all: true }, (...args) => all.push(...args));
    expect(single).toEqual([null, '127.0.0.1', 4]);
    expect(all).toEqual([null, [{ address: '127.0.0.1', family: 4 }]]);
  });
});

/** A pino logger whose lines land in `lines`, for asserting what was logged. */
function memoryLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

function deviceKeys() {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return { p256dh: ecdh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') };
}

/** Devices with Web Push only, outside the server: its own guard (and DNS), retries on timers, nobody online. */
function devicesWith(server: TestServer, options: { lookup: PushEndpointLookup; allowInsecure: boolean; logger: Logger; retryDelaysMs?: number[] }) {
  const guard = new PushEndpointGuard({ allowInsecure: options.allowInsecure, lookup: options.lookup });
  const delivery: PushDelivery = new PushDelivery(server.database.prisma, options.logger, {
    senders: { WEB_PUSH: new WebPushPlatform(new WebPushSender({ ...webpush.generateVAPIDKeys(), subject: 'mailto:ops@example.test' }), guard) },
    sessionsOnline: async () => new Set<string>(),
    badge: async () => 0,
    // Outside the server's job queue: a retry waits here.
    jobs: { retry: async (retry, delayMs) => void setTimeout(() => void delivery.retry(retry), delayMs), flush: async () => undefined },
    retryDelaysMs: options.retryDelaysMs ?? [],
  });
  return { delivery, service: new DevicesService(server.database.prisma, delivery, guard, options.logger) };
}

const notice = (n: number) => ({ type: 'TEST', title: 't', body: `hello ${n}`, data: {}, urgency: 'normal' as const, ttlSeconds: 60 });

describe('registration and sending through the service', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  const viewerOf = async (userId: string) => {
    const session = await server.database.prisma.session.findFirstOrThrow({ where: { userId } });
    return { id: userId, role: 'USER' as const, sessionId: session.id };
  };

  it('connects to the address it checked, and drops the device when the name moves to a non-public address', async () => {
    const received: IncomingMessage['headers'][] = [];
    const pushService = createServer((req, res) => {
      received.push(req.headers);
      req.resume().on('end', () => res.writeHead(201).end());
    });
    await new Promise<void>((resolve) => pushService.listen(0, '127.0.0.1', resolve));
    const { port } = pushService.address() as AddressInfo;
    // push.example.test exists nowhere: a request reaches the stand-in only by the pinned address.
    const dns = fakeDns({ 'push.example.test': ['127.0.0.1'] });
    const { logger, lines } = memoryLogger();
    const { delivery, service } = devicesWith(server, { lookup: dns.lookup, allowInsecure: true, logger });
    try {
      const bob = await createUser(server);
      const endpoint = `http://push.example.test:${port}/send/secret-device-token`;
      await expect(service.registerWebPush(await viewerOf(bob.user.id), { endpoint, ...deviceKeys() })).resolves.toBe(true);

      delivery.notify([bob.user.id], notice(1), { onlyOffline: false });
      await expect.poll(() => received.length, { timeout: 5000 }).toBe(1);
      expect(received[0]!.host).toBe(`push.example.test:${port}`);
      expect(dns.asked).toEqual(['push.example.test', 'push.example.test']); // registration, then the send

      // Rebinding: the name now points elsewhere. The send is refused and the device removed.
      // 0.0.0.0 (this machine) rather than a private address: should the check ever fail, nothing leaves the machine.
      dns.table['push.example.test'] = ['0.0.0.0'];
      delivery.notify([bob.user.id], notice(2), { onlyOffline: false });
      await expect.poll(() => server.database.prisma.device.count({ where: { token: endpoint } }), { timeout: 5000 }).toBe(0);
      expect(received).toHaveLength(1);
      await delivery.idle();
      const warning = lines.find((line) => line['msg'] === 'push token is gone; device removed');
      expect(warning).toMatchObject({ level: 30, refusal: 'forbidden', host: 'push.example.test', address: '0.0.0.0', range: 'unspecified' });
      expect(JSON.stringify(lines)).not.toContain('secret-device-token');
    } finally {
      delivery.close();
      await new Promise((resolve) => pushService.close(resolve));
    }
  });

  it('keeps a device whose name does not resolve for now, and retries it', async () => {
    const dns = fakeDns({ 'flaky.example.test': ['127.0.0.1'] });
    const { logger, lines } = memoryLogger();
    const { delivery, service } = devicesWith(server, { lookup: dns.lookup, allowInsecure: true, logger, retryDelaysMs: [10] });
    try {
      const bob = await createUser(server);
      const endpoint = 'http://flaky.example.test:9/send/x';
      await service.registerWebPush(await viewerOf(bob.user.id), { endpoint, ...deviceKeys() });
      delete dns.table['flaky.example.test'];
      delivery.notify([bob.user.id], notice(1), { onlyOffline: false });
      await expect.poll(() => lines.filter((line) => line['msg'] === 'push dropped').length, { timeout: 5000 }).toBe(1);
      expect(lines.filter((line) => /^push (failed|dropped)/.test(String(line['msg']))).map((line) => line['refusal'])).toEqual(['unresolved', 'unresolved']);
      expect(await server.database.prisma.device.count({ where: { token: endpoint } })).toBe(1);
    } finally {
      delivery.close();
    }
  });

  it('refuses names resolving to private, IPv4-mapped loopback and CGNAT addresses at registration', async () => {
    const dns = fakeDns({ 'push.example.test': ['8.8.8.8'] });
    const { service } = devicesWith(server, { lookup: dns.lookup, allowInsecure: false, logger: memoryLogger().logger });
    const me = await createUser(server);
    const viewer = await viewerOf(me.user.id);
    for (const address of ['10.0.0.1', '::ffff:127.0.0.1', '100.64.0.1', '::1']) {
      dns.table['push.example.test'] = ['93.184.215.14', address];
      await expect(service.registerWebPush(viewer, { endpoint: 'https://push.example.test/send/1', ...deviceKeys() }), address).rejects.toMatchObject({
        message: 'endpoint must be a public push service; its host is not a public address',
        extensions: { code: 'BAD_USER_INPUT', field: 'endpoint' },
      });
    }
    await expect(service.registerWebPush(viewer, { endpoint: 'https://nowhere.example.test/1', ...deviceKeys() })).rejects.toMatchObject({
      message: 'endpoint host could not be resolved',
      extensions: { code: 'BAD_USER_INPUT', field: 'endpoint' },
    });
    dns.table['push.example.test'] = ['8.8.8.8'];
    await expect(service.registerWebPush(viewer, { endpoint: 'https://push.example.test/send/ok', ...deviceKeys() })).resolves.toBe(true);
    expect(await server.database.prisma.device.count({ where: { userId: me.user.id } })).toBe(1);
  });
});

describe('registerPushSubscription in production', () => {
  let production: TestServer;
  beforeAll(async () => {
    production = await startTestServer({ NODE_ENV: 'production' });
  });
  afterAll(async () => {
    await production?.close();
  });

  it('refuses non-public endpoints, including names that resolve to this machine', async () => {
    const me = await createUser(production);
    const refused = [
      'https://[::]/',
      'https://[::1]/',
      'https://100.64.0.1/',
      'https://2130706433/',
      'https://0x7f000001/',
      'https://[::ffff:127.0.0.1]/',
      'https://[fd00::1]/',
      'https://169.254.169.254/',
      'https://224.0.0.1/',
      'https://0.0.0.0/',
      'https://localhost/x', // a real lookup, answered by /etc/hosts
      'http://8.8.8.8/x',
    ];
    for (const endpoint of refused) {
      const error = expectErrorCode(
        await gql(production, RegisterPushSubscriptionDocument, { endpoint, ...deviceKeys() }, { token: me.accessToken }),
        'BAD_USER_INPUT',
      );
      expect({ endpoint, field: error.extensions?.['field'], message: error.message }).toEqual({
        endpoint,
        field: 'endpoint',
        message: endpoint.startsWith('http:') ? 'endpoint must be an https URL' : 'endpoint must be a public push service; its host is not a public address',
      });
    }
    expect(await production.database.prisma.device.count({ where: { userId: me.user.id } })).toBe(0);
  });
});
