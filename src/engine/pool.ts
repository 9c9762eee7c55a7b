/**
 * The worker pool (decisions.md D12): a counting semaphore bounding concurrently *executing*
 * actions. Waiting on a child, a timer, a signal or a backoff holds no slot. FIFO, so a burst of
 * workflows cannot starve an earlier one.
 */

export class Pool {
  private free: number
  private readonly queue: Array<() => void> = []

  constructor(readonly size: number) {
    this.free = Math.max(1, Math.floor(size))
  }

  /** True when a slot was taken at once; otherwise await `wait()`. */
  tryAcquire(): boolean {
    if (this.free > 0 && this.queue.length === 0) {
      this.free--
      return true
    }
    return false
  }

  /** Resolves once a slot is held. */
  acquire(): Promise<void> {
    if (this.tryAcquire()) return Promise.resolve()
    return new Promise((resolve) => this.queue.push(resolve))
  }

  release(): void {
    if (this.queue.length === 0) {
      this.free++
      return
    }
    ;(this.queue.shift() as () => void)()
  }

  /** Slots in use and callers waiting, for status and tests. */
  stats(): { size: number; busy: number; waiting: number } {
    return { size: this.size, busy: this.size - this.free, waiting: this.queue.length }
  }
}
