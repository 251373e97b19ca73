import { defineConfig } from 'prisma/config';

// The CLI (generate, migrate deploy) reads its URL here; the application builds its own adapter.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: {
    url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/mailsift',
  },
});
