import { createHash } from 'node:crypto';
import type { PrismaClient } from '../../generated/prisma/client.js';
import { badInput, isUniqueViolation, notFound } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { isUuid } from '../../lib/text.js';
import type { Viewer } from '../../lib/viewer.js';
import { checkAppId, checkLocale, checkNativeToken, checkWebPushKey } from './device-tokens.js';
import { DEVICE_SELECT, type DeviceRecord, type RegisterDeviceInput } from './device.types.js';
import type { PushDelivery } from './push-delivery.js';
import { PushEndpointRefusedError, type PushEndpointGuard } from './push-endpoint.js';

/** Devices per user; registering one more replaces the one registered least recently. */
export const MAX_DEVICES = 10;
const WINDOW_RETENTION_DAYS = 30;

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * The devices that get pushes (docs/design.md, "Devices, not users, get
 * pushes"): each bound to the session that registered it, so it ends with it.
 * Delivery is {@link PushDelivery}'s.
 */
export class DevicesService {
  constructor(
    private readonly prisma: PrismaClient,
    readonly push: PushDelivery,
    private readonly endpoints: PushEndpointGuard,
    private readonly logger: Logger,
  ) {}

  /**
   * Registers the viewer's device for their current session. The same token
   * again (apps register at every start) updates it, and moves it to this
   * session, or to this user: a phone that signed in as someone else is
   * theirs now.
   */
  async register(viewer: Viewer, input: RegisterDeviceInput, { endpointField = 'token' }: { endpointField?: string } = {}): Promise<DeviceRecord> {
    const { platform } = input;
    let token: string;
    let keys: { p256dh: string | null; auth: string | null } = { p256dh: null, auth: null };
    if (platform === 'WEB_PUSH') {
      // The keys first: checking the endpoint may take a DNS query.
      keys = { p256dh: checkWebPushKey(input.p256dh, 65, 'p256dh'), auth: checkWebPushKey(input.auth, 16, 'auth') };
      token = await this.#checkEndpoint(input.token, endpointField);
    } else {
      if (input.p256dh != null) throw badInput('p256dh is for WEB_PUSH only', 'p256dh');
      if (input.auth != null) throw badInput('auth is for WEB_PUSH only', 'auth');
      token = checkNativeToken(platform, input.token);
    }
    const fields = { appId: checkAppId(input.appId), content: input.content ?? 'FULL', locale: checkLocale(input.locale), ...keys };
    const tokenHash = hashOf(token);
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.prisma.$transaction(async (tx) => {
          // One registration per user at a time, so the cap below counts what is really there.
          await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`devices:${viewer.id}`}, 0))`;
          const now = new Date();
          const existing = await tx.device.findUnique({ where: { platform_tokenHash: { platform, tokenHash } }, select: { id: true, userId: true } });
          // Another user's device: a new row, so nothing of theirs (id, counts) carries over.
          if (existing && existing.userId !== viewer.id) await tx.device.delete({ where: { id: existing.id } });
          const device =
            existing && existing.userId === viewer.id
              ? await tx.device.update({ where: { id: existing.id }, data: { sessionId: viewer.sessionId, lastSeenAt: now, ...fields }, select: DEVICE_SELECT })
              : await tx.device.create({
                  data: { userId: viewer.id, sessionId: viewer.sessionId, platform, token, tokenHash, lastSeenAt: now, ...fields },
                  select: DEVICE_SELECT,
                });
          // Devices of sessions that ended get nothing; they make way first, then the least recently registered.
          await tx.$executeRaw`
            DELETE FROM "Device" d USING "Session" s
            WHERE d."userId" = ${viewer.id}::uuid AND s."id" = d."sessionId" AND (s."revokedAt" IS NOT NULL OR s."expiresAt" <= now())`;
          const stale = await tx.device.findMany({
            where: { userId: viewer.id },
            orderBy: [{ lastSeenAt: 'desc' }, { createdAt: 'desc' }],
            skip: MAX_DEVICES,
            select: { id: true },
          });
          if (stale.length > 0) await tx.device.deleteMany({ where: { id: { in: stale.map((row) => row.id) } } });
          return device;
        });
      } catch (error) {
        // Another user registered the same token at the same moment: the second try finds their row.
        if (attempt === 0 && isUniqueViolation(error)) continue;
        throw error;
      }
    }
  }

  /** registerPushSubscription: a WEB_PUSH device of the current session. */
  async registerWebPush(viewer: Viewer, input: { endpoint: string; p256dh: string; auth: string }): Promise<boolean> {
    await this.register(viewer, { platform: 'WEB_PUSH', token: input.endpoint, p256dh: input.p256dh, auth: input.auth }, { endpointField: 'endpoint' });
    return true;
  }

  /** Another user's device, or one that does not exist: NOT_FOUND. */
  async unregister(viewer: Viewer, id: string): Promise<boolean> {
    const { count } = isUuid(id) ? await this.prisma.device.deleteMany({ where: { id, userId: viewer.id } }) : { count: 0 };
    if (count === 0) throw notFound('Device');
    return true;
  }

  /** unregisterPushSubscription: false when this endpoint was not registered to me. */
  async unregisterWebPush(viewer: Viewer, endpoint: string): Promise<boolean> {
    const hashes = [hashOf(endpoint)];
    // Stored as WHATWG URL normalised it at registration.
    if (URL.canParse(endpoint)) hashes.push(hashOf(new URL(endpoint).toString()));
    const { count } = await this.prisma.device.deleteMany({ where: { platform: 'WEB_PUSH', tokenHash: { in: hashes }, userId: viewer.id } });
    return count > 0;
  }

  /**
   * Devices of sessions that ended (they get nothing already), and the
   * counters of chats not pushed to for 30 days; returns how many devices.
   */
  async purge(): Promise<number> {
    const devices = await this.prisma.$executeRaw`
      DELETE FROM "Device" d USING "Session" s WHERE s."id" = d."sessionId" AND (s."revokedAt" IS NOT NULL OR s."expiresAt" <= now())`;
    await this.prisma.$executeRaw`
      DELETE FROM "DevicePushWindow" WHERE NOT "pending" AND "updatedAt" < now() - ${WINDOW_RETENTION_DAYS} * interval '1 day'`;
    if (devices > 0) this.logger.info({ devices }, 'purged devices of ended sessions');
    return devices;
  }

  close(): void {
    this.push.close();
  }

  /** The normalised endpoint; the server will POST to it, so its host must be public (see PushEndpointGuard). */
  async #checkEndpoint(raw: string, field: string): Promise<string> {
    try {
      return (await this.endpoints.check(raw)).url;
    } catch (error) {
      if (error instanceof PushEndpointRefusedError) throw badInput(error.message, field);
      throw error;
    }
  }
}
