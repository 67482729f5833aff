import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { connectionTypes } from '../../lib/relay.js';
import { DevicePlatform } from '../devices/index.js';

@ObjectType('AdminStats')
export class AdminStats {
  @Field(() => Int) usersTotal!: number;
  @Field(() => Int) usersActive!: number;
  @Field(() => Int, { description: 'Users with an open WebSocket on this instance.' }) usersOnline!: number;
  @Field(() => Int) chatsTotal!: number;
  @Field(() => Int) chatsPrivate!: number;
  @Field(() => Int) chatsGroup!: number;
  @Field(() => Int) messagesTotal!: number;
  @Field(() => Int) messagesLast24h!: number;
  @Field(() => Int) filesCount!: number;
  @Field(() => Float, { description: 'Bytes of stored originals and thumbnails.' }) filesBytes!: number;
  @Field(() => Int) notificationsTotal!: number;
  @Field(() => Int) notificationsUnread!: number;
  @Field(() => Int, { description: 'Open graphql-ws connections on this instance.' }) webSocketsOpen!: number;
  @Field(() => Int, { description: 'Reports waiting for a moderator (adminReports(status: OPEN)).' }) openReports!: number;
}

@ObjectType('HealthCheck')
export class HealthCheck {
  @Field(() => Boolean) up!: boolean;
  @Field(() => Float, { nullable: true, description: 'Round trip of the check, in milliseconds.' }) latencyMs!: number | null;
  @Field(() => String, { nullable: true }) detail!: string | null;
}

@ObjectType('JobsHealth', { description: 'The job queue (scheduled sends, expiry, push retries, purges), across all instances.' })
export class JobsHealth {
  @Field(() => Int, { description: 'Waiting: due now, due later, or waiting to be retried.' }) queued!: number;
  @Field(() => Int, { description: 'Being run by an instance right now.' }) running!: number;
  @Field(() => Int, { description: 'Out of attempts: kept, with their last error, until an operator removes or reschedules them (README, "Job queue").' })
  failed!: number;
}

@ObjectType('PushHealth', { description: "One platform's pushes on this instance since it started." })
export class PushHealth {
  @Field(() => DevicePlatform) platform!: DevicePlatform;
  @Field(() => Boolean, { description: 'Configured (APNS_*, FCM_*); Web Push always is. Devices of a platform that is not get nothing.' })
  configured!: boolean;
  @Field(() => Int) sent!: number;
  @Field(() => Int, { description: 'Attempts that failed: 5xx, 429, unreachable, refused (retries counted each).' }) failed!: number;
  @Field(() => Int, { description: 'Pushes given up: out of retries, or refused for good.' }) dropped!: number;
  @Field(() => Int, { description: 'Devices removed because the push service said the token is gone.' }) removed!: number;
}

@ObjectType('Health')
export class Health {
  @Field(() => String, { description: '"ok" when every check is up, else "degraded".' }) status!: string;
  @Field(() => HealthCheck) database!: HealthCheck;
  @Field(() => String, { description: '"embedded" or "external".' }) databaseMode!: string;
  @Field(() => HealthCheck) pubsub!: HealthCheck;
  @Field(() => HealthCheck, { description: 'The upload folder: writable, with free space in `freeBytes`.' }) uploads!: HealthCheck;
  @Field(() => Float, { nullable: true }) uploadsFreeBytes!: number | null;
  @Field(() => String) version!: string;
  @Field(() => Int) uptimeSeconds!: number;
  @Field(() => JobsHealth, { nullable: true, description: 'Null when the database does not answer.' }) jobs!: JobsHealth | null;
  @Field(() => [PushHealth], { description: 'Pushes by platform (this instance).' }) push!: PushHealth[];
}

@ObjectType('ActivityHour', { description: 'Messages sent in one clock hour (UTC), for a chart.' })
export class ActivityHour {
  @Field(() => Date, { description: 'The start of the hour.' }) hour!: Date;
  @Field(() => Int, { description: 'Messages created in it, SYSTEM messages included, deleted ones too.' }) messages!: number;
}

export interface AuditRecord {
  id: string;
  adminId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  details: string | null;
  createdAt: Date;
}

// `admin` is a field resolver (admin.resolver.ts).
@ObjectType('AdminAuditEntry')
export class AdminAuditEntry {
  @Field(() => ID) id!: string;
  @Field(() => String, { description: 'e.g. READ_MESSAGES, SET_USER_ACTIVE, SET_USER_ROLE.' }) action!: string;
  @Field(() => String, { nullable: true }) targetType!: string | null;
  @Field(() => String, { nullable: true }) targetId!: string | null;
  @Field(() => String, { nullable: true, description: 'JSON text: the arguments of the action.' }) details!: string | null;
  @Field(() => Date) createdAt!: Date;
}

export const AdminAuditConnection = connectionTypes('AdminAuditEntry', AdminAuditEntry, { totalCount: false });
