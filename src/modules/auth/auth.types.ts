import { Field, InputType, Int, ObjectType } from 'type-graphql';
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
