import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Fiber, Option, Stream } from "effect"
import * as ReadAhead from "../src/internal/transport/readAhead.js"

/** An async iterator over `count` numbers that records how far it has been read, and can fail at `failAt`. */
const source = (count: number, failAt?: number) => {
  const state = { read: 0 }
  const iterator: AsyncIterator<number> = {
    next: async () => {
      await Promise.resolve()
      if (failAt !== undefined && state.read === failAt) throw new Error("boom")
      if (state.read === count) return { done: true, value: undefined }
      return { done: false, value: state.read++ }
    }
  }
  return { iterator, state }
}

/** Lets the event loop turn: the sources here settle in microtasks, so one turn runs a read-ahead as far as it goes. */
const turns = (n: number) =>
  Effect.promise(async () => {
    for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve))
  })

const options = (
  overrides: Partial<ReadAhead.Options<number, string>> = {}
): ReadAhead.Options<number, string> => ({
  highWaterMark: 64,
  batch: 16,
  eager: 2,
  failure: (error) => `failed: ${(error as Error).message}`,
  expired: () => undefined,
  unfinished: () => undefined,
  onEnd: () => {},
  onWait: () => {},
  ...overrides
})

const chunksOf = <E>(reader: ReadAhead.ReadAhead<number, E>) =>
  Stream.repeatEffectChunkOption(Effect.map(reader.pull, (chunk) => Chunk.of(Chunk.toReadonlyArray(chunk)))).pipe(
    Stream.runCollect,
    Effect.map(Chunk.toReadonlyArray)
  )

describe("readAhead", () => {
  it.effect("delivers every event in order; the first ones one by one, then in batches", () =>
    Effect.gen(function*() {
      let ended = 0
      const { iterator } = source(200)
      const chunks = yield* chunksOf(ReadAhead.start(iterator, options({ onEnd: () => ended++ })))
      assert.deepStrictEqual(chunks.flat(), Array.from({ length: 200 }, (_, i) => i))
      assert.isBelow(chunks.length, 200, "events are coalesced into chunks")
      assert.isTrue(chunks.every((chunk) => chunk.length > 0 && chunk.length <= 64))
      assert.strictEqual(ended, 1)
    }))

  it.effect("reads no further than highWaterMark ahead of a consumer that does not pull", () =>
    Effect.gen(function*() {
      const { iterator, state } = source(1_000)
      const reader = ReadAhead.start(iterator, options({ highWaterMark: 50 }))
      yield* turns(3)
      assert.strictEqual(state.read, 50)
      const first = yield* reader.pull
      assert.strictEqual(Chunk.size(first), 50)
      yield* turns(3)
      assert.strictEqual(state.read, 100)
    }))

  it.effect("a failure comes after the events read before it", () =>
    Effect.gen(function*() {
      const { iterator } = source(100, 30)
      const reader = ReadAhead.start(iterator, options())
      const received: Array<number> = []
      const error = yield* Stream.repeatEffectChunkOption(reader.pull).pipe(
        Stream.runForEach((n) => Effect.sync(() => received.push(n))),
        Effect.flip
      )
      assert.deepStrictEqual(received, Array.from({ length: 30 }, (_, i) => i))
      assert.strictEqual(error, "failed: boom")
    }))

  it.effect("a pull interrupted while it waits loses no event: the next pull gets them all", () =>
    Effect.gen(function*() {
      // A source whose events are released by the test.
      const released: Array<number> = []
      let release: (() => void) | undefined
      const iterator: AsyncIterator<number> = {
        next: async () => {
          while (released.length === 0) await new Promise<void>((resolve) => (release = resolve))
          return { done: false, value: released.shift()! }
        }
      }
      const reader = ReadAhead.start(iterator, options())
      const waiting = yield* Effect.fork(reader.pull)
      yield* turns(2)
      assert.isNull(waiting.unsafePoll())
      yield* Fiber.interrupt(waiting)
      released.push(0, 1, 2)
      release?.()
      yield* turns(3)
      const next = yield* reader.pull
      assert.deepStrictEqual(Chunk.toReadonlyArray(next), [0, 1, 2])
    }))

  it.effect("an end after expiry is the expiry's failure, and the waits are reported", () =>
    Effect.gen(function*() {
      const waits: Array<boolean> = []
      const { iterator } = source(0)
      const reader = ReadAhead.start(iterator, options({ expired: () => "expired", onWait: (w) => waits.push(w) }))
      yield* turns(3)
      const result = yield* Effect.flip(reader.pull)
      assert.deepStrictEqual(result, Option.some("expired"))
      const { iterator: slow } = source(1)
      const pending = ReadAhead.start(slow, options({ onWait: (w) => waits.push(w) }))
      yield* pending.pull
      assert.deepStrictEqual(waits, [true, false])
    }))
})
