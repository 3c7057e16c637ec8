import { assert, describe, it } from "@effect/vitest"
import { Effect, Option, Tracer } from "effect"
import { withSpan } from "../src/internal/tracing.js"

/** A tracer that records the name and attributes of every span it makes, and whether the span ended. */
const recordingTracer = () => {
  const spans: Array<{ name: string; attributes: ReadonlyMap<string, unknown>; ended: () => boolean }> = []
  const tracer = Tracer.make({
    span: (name, parent, context, links, startTime, kind, options) => {
      const attributes = new Map<string, unknown>(Object.entries(options?.attributes ?? {}))
      let ended = false
      const span: Tracer.Span = {
        _tag: "Span",
        name,
        spanId: `span-${spans.length}`,
        traceId: "trace",
        parent,
        context,
        status: { _tag: "Started", startTime },
        attributes,
        links,
        sampled: true,
        kind,
        end: () => {
          ended = true
        },
        attribute: (key, value) => void attributes.set(key, value),
        event: () => {},
        addLinks: () => {}
      }
      spans.push({ name, attributes, ended: () => ended })
      return span
    },
    context: (f) => f()
  })
  return { tracer, spans }
}

const innerSpanName = Effect.map(Effect.option(Effect.currentSpan), Option.map((span) => span.name))

describe("withSpan", () => {
  it.effect("makes no span under Effect's built-in tracer", () =>
    Effect.gen(function*() {
      const inside = yield* innerSpanName.pipe(withSpan("Test.call"))
      assert.isTrue(Option.isNone(inside))
    }))

  it.effect("runs the effect in a span named as given, with its attributes, under a recording tracer", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recordingTracer()
      const traced = innerSpanName.pipe(withSpan("Test.call", { attributes: { "rpc.method": "Converse" } }))
      // The first traced run under a recording tracer, and one after it (built once one has been seen).
      const first = yield* Effect.withTracer(traced, tracer)
      const second = yield* Effect.withTracer(innerSpanName.pipe(withSpan("Test.call")), tracer)
      assert.deepStrictEqual(first, Option.some("Test.call"))
      assert.deepStrictEqual(second, Option.some("Test.call"))
      assert.deepStrictEqual(spans.map((span) => span.name), ["Test.call", "Test.call"])
      assert.strictEqual(spans[0]!.attributes.get("rpc.method"), "Converse")
      assert.isTrue(spans.every((span) => span.ended()))
    }))

  it.effect("the same traced effect makes no span under the built-in tracer and one under a recording tracer", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recordingTracer()
      const traced = innerSpanName.pipe(withSpan("Test.shared"))
      assert.isTrue(Option.isNone(yield* traced))
      assert.deepStrictEqual(yield* Effect.withTracer(traced, tracer), Option.some("Test.shared"))
      assert.lengthOf(spans, 1)
    }))
})
