/** A token bucket: `burst` calls at once, refilled at `perSecond`. Time is passed in (epoch ms). */
export class RateLimiter {
  private tokens: number
  private last = -1

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {
    this.tokens = burst
  }

  /** Takes one token; false when the bucket is empty. */
  take(now: number): boolean {
    if (this.last >= 0) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond)
    }
    this.last = now
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }
}
