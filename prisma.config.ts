import { defineConfig } from 'prisma/config';

// The CLI is only used for `prisma generate`, which needs no database.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});
