import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { DevicePlatform, PushContent } from '../../generated/prisma/enums.js';

export { DevicePlatform, PushContent };

registerEnumType(DevicePlatform, {
  name: 'DevicePlatform',
  description: 'Where a device gets its pushes: Apple (APNs), Firebase Cloud Messaging, or a browser (Web Push).',
});
registerEnumType(PushContent, {
  name: 'PushContent',
  description:
    'What a device\'s pushes show: FULL (sender and preview), HIDDEN ("New message" only), IDS_ONLY (ids and badge, for apps that fetch and show it themselves).',
});

/** A device as stored; `token` and the Web Push keys never leave the server. */
export interface DeviceRecord {
  id: string;
  sessionId: string;
  platform: DevicePlatform;
  appId: string | null;
  content: PushContent;
  locale: string | null;
  createdAt: Date;
  lastSeenAt: Date | null;
}

export const DEVICE_SELECT = {
  id: true,
  sessionId: true,
  platform: true,
  appId: true,
  content: true,
  locale: true,
  createdAt: true,
  lastSeenAt: true,
} as const;

@ObjectType('Device', { description: 'A device that gets pushes, bound to the session that registered it and ended with it.' })
export class Device {
  @Field(() => ID)
  id!: string;

  @Field(() => DevicePlatform)
  platform!: DevicePlatform;

  @Field(() => String, { nullable: true, description: "The app's bundle id or package name; for APNs, the topic." })
  appId!: string | null;

  @Field(() => PushContent)
  content!: PushContent;

  @Field(() => String, { nullable: true, description: 'BCP 47, e.g. "fa-IR": stored for the app; push texts are rendered in English.' })
  locale!: string | null;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When it last registered (apps register at every start).' })
  lastSeenAt!: Date | null;
}

@InputType('RegisterDeviceInput')
export class RegisterDeviceInput {
  @Field(() => DevicePlatform)
  platform!: DevicePlatform;

  @Field(() => String, {
    description: 'APNS: the device token in hex (64 or more characters); FCM: the registration token; WEB_PUSH: the subscription endpoint (https).',
  })
  token!: string;

  @Field(() => String, { nullable: true, description: 'Reverse-DNS, at most 200 characters, e.g. com.example.chat. APNS: the topic (default APNS_TOPIC).' })
  appId?: string | null;

  @Field(() => PushContent, { nullable: true, description: 'Default FULL.' })
  content?: PushContent | null;

  @Field(() => String, { nullable: true, description: 'BCP 47 language tag, at most 35 characters.' })
  locale?: string | null;

  @Field(() => String, { nullable: true, description: "WEB_PUSH only, required there: the subscription's keys.p256dh (base64url)." })
  p256dh?: string | null;

  @Field(() => String, { nullable: true, description: "WEB_PUSH only, required there: the subscription's keys.auth (base64url)." })
  auth?: string | null;
}
