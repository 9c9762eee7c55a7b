/**
 * `npm run test:system` (decisions.md D9): the tests that need Debian packages (Chromium, gojq) or
 * a built binary. They live in test/system/*.system.ts, so plain `bun test` does not pick them up.
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'

const dir = join(import.meta.dir, '..', 'test', 'system')
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.system.ts'))
  .sort()
  .map((f) => `./test/system/${f}`)
if (files.length === 0) {
  console.log('no system tests')
  process.exit(0)
}
const proc = Bun.spawn(['bun', 'test', '--timeout', '120000', ...files], {
  cwd: join(import.meta.dir, '..'),
  stdio: ['inherit', 'inherit', 'inherit'],
})
process.exit(await proc.exited)
