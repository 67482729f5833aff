import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { User, type UserRecord } from '../users/index.js';

@ObjectType()
export class AuthPayload {
  @Field(() => String, { description: 'JWT for `Authorization: Bearer …`; expires after 15 minutes.' })
  accessToken!: string;

  @Field(() => String, { description: 'Opaque; exchange it with refreshToken. Single use; valid 30 days.' })
  refreshToken!: string;

  @Field(() => Int, { description: 'Seconds until the access token expires.' })
  expiresIn!: number;

  @Field(() => User)
  user!: UserRecord;

  @Field(() => Boolean, {
    description:
      'True after an admin set a temporary password (adminResetPassword): until changePassword, every other operation but `me` is FORBIDDEN with extensions.reason PASSWORD_CHANGE_REQUIRED.',
  })
  mustChangePassword!: boolean;
}

@ObjectType({ description: 'A signed-in device or browser: one sign-in and its refreshes.' })
export class Session {
  @Field(() => ID)
  id!: string;

  @Field(() => Boolean, { description: 'The session of the token this request was made with.' })
  current!: boolean;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'The sign-in or the latest refresh (a client refreshes at least every 15 minutes while in use).' })
  lastUsedAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'The User-Agent header of the sign-in, at most 256 characters.' })
  userAgent!: string | null;

  @Field(() => String, { nullable: true, description: 'The client address of the sign-in.' })
  ip!: string | null;
}

@InputType()
export class RegisterInput {
  @Field(() => String, { description: '3–32 characters of a–z, 0–9, _ and .; stored lower-case.' })
  username!: string;

  @Field(() => String, { description: '10–128 characters.' })
  password!: string;

  @Field(() => String, { description: '1–64 characters.' })
  displayName!: string;
}

@InputType()
export class LoginInput {
  @Field(() => String)
  username!: string;

  @Field(() => String)
  password!: string;
}
