import { expect, test } from 'bun:test'
import { RateLimiter } from './rate-limit.ts'

test('a burst, then the sustained rate', () => {
  const r = new RateLimiter(10, 3)
  const at = (t: number) => r.take(t)
  expect([at(0), at(0), at(0), at(0)]).toEqual([true, true, true, false])
  expect(at(50)).toBe(false)
  expect(at(100)).toBe(true)
  expect(at(100)).toBe(false)
  expect([at(1000), at(1000), at(1000), at(1000)]).toEqual([true, true, true, false])
})
