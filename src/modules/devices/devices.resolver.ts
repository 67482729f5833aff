import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { CurrentViewer } from '../../graphql/current-viewer.js';
import type { Viewer } from '../../lib/viewer.js';
import { Session } from '../auth/index.js';
import { Device, RegisterDeviceInput, type DeviceRecord } from './device.types.js';

@Resolver(() => Device)
export class DevicesResolver {
  @Authorized()
  @Mutation(() => Device, {
    description:
      'Registers this device for pushes, bound to the current session and ended with it; the same token again updates it. At most 10 per user: the least recently registered is replaced.',
  })
  registerDevice(@Arg('input', () => RegisterDeviceInput) input: RegisterDeviceInput, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.devices.register(viewer, input);
  }

  @Authorized()
  @Mutation(() => Boolean, { description: 'Stops pushes to one of my devices (any session of mine).' })
  unregisterDevice(@Arg('id', () => ID) id: string, @CurrentViewer() viewer: Viewer, @Ctx() ctx: Context) {
    return ctx.services.devices.unregister(viewer, id);
  }
}

@Resolver(() => Session)
export class SessionDevicesResolver {
  @FieldResolver(() => [Device], { description: 'The devices registered for pushes in this session (registerDevice); they end with it.' })
  devices(@Root() session: Session, @Ctx() ctx: Context): Promise<DeviceRecord[]> {
    return ctx.loaders.devicesBySession.load(session.id);
  }
}
