/**
 * The embeddings client's cache: least recently used first out past `capacity`, entries expire `timeToLive` after they
 * were stored (times from the caller's `Clock`, so `TestClock` drives it). A capacity of 0 keeps nothing.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"

interface Entry<A> {
  readonly value: A
  readonly expiresAt: number
}

export class EmbeddingCache<A> {
  // A `Map` iterates in insertion order: re-inserting an entry on use makes the first key the least recently used.
  private readonly entries = new Map<string, Entry<A>>()

  constructor(readonly capacity: number, private readonly timeToLive: number) {}

  get enabled(): boolean {
    return this.capacity > 0
  }

  /** The value of a key at time `now` (it becomes the most recently used), or `undefined`. */
  lookup(key: string, now: number): A | undefined {
    const entry = this.entries.get(key)
    if (entry === undefined) return undefined
    this.entries.delete(key)
    if (entry.expiresAt <= now) return undefined
    this.entries.set(key, entry)
    return entry.value
  }

  store(key: string, value: A, now: number): void {
    if (!this.enabled) return
    this.entries.delete(key)
    this.entries.set(key, { value, expiresAt: now + this.timeToLive })
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!)
  }

  get(key: string): Effect.Effect<Option.Option<A>> {
    return this.enabled
      ? Effect.map(Clock.currentTimeMillis, (now) => Option.fromNullable(this.lookup(key, now)))
      : Effect.succeedNone
  }

  set(key: string, value: A): Effect.Effect<void> {
    return this.enabled ? Effect.map(Clock.currentTimeMillis, (now) => this.store(key, value, now)) : Effect.void
  }

  clear(): void {
    this.entries.clear()
  }
}
