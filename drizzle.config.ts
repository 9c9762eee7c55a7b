import { defineConfig } from 'drizzle-kit'

// `npm run db:generate` writes SQL migrations into drizzle/ from src/store/tables.ts, then
// scripts/embed-migrations.ts embeds them into src/store/migrations.gen.ts for the binary.
export default defineConfig({
  dialect: 'sqlite',
  schema: './src/store/tables.ts',
  out: './drizzle',
})
