import type { PrismaClient } from '../../generated/prisma/client.js';
import { notFound } from '../../lib/errors.js';
import type { Viewer } from '../../lib/viewer.js';
import type { PresenceService } from './presence.service.js';
import { type PrivacyInput, privacyChanges } from './privacy.inputs.js';
import { USER_SELECT, type UserRecord } from './user.types.js';

/**
 * updatePrivacy. The rules themselves are read where each field is shown
 * (users.policy.ts, presence.service.ts, the chats and messages modules for
 * read receipts), from the row as it is then, so a change applies to the next
 * query and the next event; only presence needs telling now, because
 * co-members' clients hold my online state from earlier events.
 */
export class PrivacyService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly presence: Pick<PresenceService, 'lastSeenChanged'>,
  ) {}

  async update(viewer: Viewer, input: PrivacyInput): Promise<UserRecord> {
    const { lastSeenVisibility, ...rest } = privacyChanges(input);
    // A compare-and-set, so that of two devices changing it at once, each knows whether it was its change.
    const lastSeenMoved =
      lastSeenVisibility !== undefined &&
      (
        await this.prisma.user.updateMany({
          where: { id: viewer.id, lastSeenVisibility: { not: lastSeenVisibility } },
          data: { lastSeenVisibility },
        })
      ).count === 1;
    const user =
      Object.keys(rest).length > 0
        ? await this.prisma.user.update({ where: { id: viewer.id }, data: rest, select: USER_SELECT })
        : await this.prisma.user.findUnique({ where: { id: viewer.id }, select: USER_SELECT });
    if (!user) throw notFound('User');
    if (lastSeenMoved) await this.presence.lastSeenChanged(user, lastSeenVisibility === 'NOBODY');
    return user;
  }
}
