import DataLoader from 'dataloader';
import type { PrismaClient } from '../../generated/prisma/client.js';
import { DEVICE_SELECT, type DeviceRecord } from './device.types.js';

export interface DeviceLoaders {
  /** A session's devices, oldest first (Session.devices: the sessions come from the viewer's own mySessions). */
  devicesBySession: DataLoader<string, DeviceRecord[]>;
}

export function createDeviceLoaders(prisma: PrismaClient, options?: { maxBatchSize?: number }): DeviceLoaders {
  return {
    devicesBySession: new DataLoader(async (sessionIds) => {
      const rows = await prisma.device.findMany({ where: { sessionId: { in: [...sessionIds] } }, orderBy: { createdAt: 'asc' }, select: DEVICE_SELECT });
      const bySession = new Map<string, DeviceRecord[]>(sessionIds.map((id) => [id, []]));
      for (const row of rows) bySession.get(row.sessionId)?.push(row);
      return sessionIds.map((id) => bySession.get(id)!);
    }, options),
  };
}
