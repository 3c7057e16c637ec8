import type { InvokeModelCommandInput, InvokeModelCommandOutput } from "@aws-sdk/client-bedrock-runtime"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Either, Exit, Fiber, Layer, Option, Redacted, TestClock } from "effect"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { ThrottlingError } from "../src/BedrockError.js"
import * as BedrockRuntime from "../src/BedrockRuntime.js"
import { ClientConfig, ConnectionConfig, StaticCredentials } from "../src/Config.js"
import * as EmbeddingsClient from "../src/EmbeddingsClient.js"
import { Emulator } from "../src/emulator/Emulator.js"
import * as Similarity from "../src/Similarity.js"

const titanV1 = "amazon.titan-embed-text-v1"
const titanV2 = "amazon.titan-embed-text-v2:0"
const cohereV3 = "cohere.embed-english-v3"
const cohereV4 = "cohere.embed-v4:0"

const credentials = new StaticCredentials({ accessKeyId: "AKIDEXAMPLE", secretAccessKey: Redacted.make("secret") })

type Protocol = "http2" | "http1.1"

/** The real runtime (SDK client) on the emulator in context, recording every InvokeModel body it sends. */
const runtimeOnEmulator = (protocol: Protocol, bodies?: Array<Record<string, unknown>>) =>
  Layer.unwrapEffect(Effect.map(Emulator, (emulator) => {
    const real = BedrockRuntime.layer(
      new ClientConfig({
        region: "us-east-1",
        endpoint: emulator.url,
        credentials,
        connection: new ConnectionConfig({ protocol })
      })
    )
    if (bodies === undefined) return real
    return Layer.effect(
      BedrockRuntime.BedrockRuntime,
      Effect.map(BedrockRuntime.BedrockRuntime, (runtime) => ({
        ...runtime,
        invokeModel: (input: InvokeModelCommandInput) => {
          bodies.push(JSON.parse(input.body as string))
          return runtime.invokeModel(input)
        }
      }))
    ).pipe(Layer.provide(real))
  }))

interface Setup {
  readonly client: EmbeddingsClient.EmbeddingsClient.Service
  readonly emulator: Emulator["Type"]
  readonly bodies: Array<Record<string, unknown>>
}

/** Runs `f` with a client of `options` over the real SDK and a fresh emulator. */
const withClient = <A, E>(
  options: EmbeddingsClient.EmbeddingsClient.Options,
  f: (setup: Setup) => Effect.Effect<A, E>,
  protocol: Protocol = "http2",
  emulatorOptions?: Parameters<typeof Emulator.layer>[0]
) => {
  const bodies: Array<Record<string, unknown>> = []
  return Effect.gen(function*() {
    const client = yield* EmbeddingsClient.EmbeddingsClient
    const emulator = yield* Emulator
    return yield* f({ client, emulator, bodies })
  }).pipe(
    Effect.provide(
      EmbeddingsClient.layer(options).pipe(
        Layer.provideMerge(runtimeOnEmulator(protocol, bodies)),
        Layer.provideMerge(Emulator.layer(emulatorOptions))
      )
    )
  )
}

const invokeCount = (emulator: Emulator["Type"]): number => emulator.stats().requestsByOperation["InvokeModel"] ?? 0

const fastRetry = { maxAttempts: 4, baseDelay: Duration.millis(1), maxDelay: Duration.millis(5), jitter: false }

describe("EmbeddingsClient over the emulator", () => {
  for (const protocol of ["http2", "http1.1"] as const) {
    it.live(`Titan v2 dimensions and normalisation (${protocol})`, () =>
      withClient({ model: titanV2, cache: false }, ({ client }) =>
        Effect.gen(function*() {
          for (const dimensions of [256, 512, 1024]) {
            const vector = yield* client.embed("The quick brown fox", { dimensions })
            assert.strictEqual(vector.length, dimensions)
            assert.closeTo(Similarity.norm(vector), 1, 1e-9)
          }
          const raw = yield* client.embed("The quick brown fox", { dimensions: 256, normalize: false })
          assert.isAbove(Similarity.norm(raw), 2)
          assert.strictEqual(client.model.defaultDimensions, 1024)
          assert.strictEqual((yield* client.embed("default size")).length, 1024)
        }), protocol))
  }

  it.live("Titan v1 has 1536 dimensions and is normalised locally when asked", () =>
    withClient({ model: titanV1, cache: false }, ({ bodies, client }) =>
      Effect.gen(function*() {
        const raw = yield* client.embed("Hello World!")
        assert.strictEqual(raw.length, 1536)
        assert.isAbove(Similarity.norm(raw), 2)
        const unit = yield* client.embed("Hello World!", { normalize: true })
        assert.closeTo(Similarity.norm(unit), 1, 1e-9)
        assert.closeTo(Similarity.cosine(raw, unit), 1, 1e-9)
        assert.deepStrictEqual(bodies, [{ inputText: "Hello World!" }, { inputText: "Hello World!" }])
      })))

  it.live("Cohere v3: 200 texts are sent in 3 calls of at most 96, results in input order", () =>
    withClient({ model: cohereV3, cache: false }, ({ bodies, client, emulator }) =>
      Effect.gen(function*() {
        const texts = Array.from({ length: 200 }, (_, i) => `document number ${i} about topic ${i % 7}`)
        const vectors = yield* client.embedMany(texts, { inputType: "search_document" })
        assert.strictEqual(invokeCount(emulator), 3)
        assert.deepStrictEqual(bodies.map((body) => (body["texts"] as Array<string>).length), [96, 96, 8])
        assert.deepStrictEqual(bodies.flatMap((body) => body["texts"] as Array<string>), texts)
        assert.isTrue(bodies.every((body) => body["input_type"] === "search_document"))
        assert.strictEqual(vectors.length, 200)
        for (const index of [0, 95, 96, 150, 199]) {
          const alone = yield* client.embed(texts[index]!)
          assert.closeTo(Similarity.cosine(alone, vectors[index]!), 1, 1e-9)
        }
        const stats = yield* client.stats
        assert.strictEqual(stats.textsSent, 205)
      })))

  it.live("Cohere v4 sends output_dimension and returns vectors of that size", () =>
    withClient(
      { model: cohereV4, cache: false, defaults: { inputType: "search_query" } },
      ({ bodies, client }) =>
        Effect.gen(function*() {
          const vectors = yield* client.embedMany(["one text", "another text"], { dimensions: 512 })
          assert.deepStrictEqual(vectors.map((v) => v.length), [512, 512])
          assert.deepStrictEqual(bodies, [{
            texts: ["one text", "another text"],
            input_type: "search_query",
            output_dimension: 512
          }])
          assert.strictEqual((yield* client.embed("default")).length, 1536)
        })
    ))

  it.live("a long list: every text in order, each distinct text sent once", () =>
    Effect.gen(function*() {
      // 700 distinct texts, each listed twice, far apart.
      const distinct = Array.from({ length: 700 }, (_, i) => `text number ${i}`)
      const texts = [...distinct, ...distinct.slice().reverse()]
      yield* withClient({ model: titanV2, cache: false }, ({ client, emulator }) =>
        Effect.gen(function*() {
          const vectors = yield* client.embedMany(texts)
          assert.strictEqual(vectors.length, 1_400)
          assert.strictEqual(invokeCount(emulator), 700)
          assert.deepStrictEqual(vectors[0], vectors[1_399])
          assert.deepStrictEqual(vectors[699], vectors[700])
          assert.deepStrictEqual(vectors[300], yield* client.embed("text number 300"))
          assert.strictEqual((yield* client.stats).deduplicated, 700)
        }))
    }))

  it.live("repeated texts in one batch are sent once (Cohere: fewer texts; Titan: fewer calls)", () =>
    Effect.gen(function*() {
      const texts = ["alpha", "beta", "alpha", "gamma", "beta", "alpha"]
      yield* withClient({ model: cohereV3, cache: false }, ({ bodies, client, emulator }) =>
        Effect.gen(function*() {
          const vectors = yield* client.embedMany(texts)
          assert.strictEqual(invokeCount(emulator), 1)
          assert.deepStrictEqual(bodies[0]!["texts"], ["alpha", "beta", "gamma"])
          assert.deepStrictEqual(vectors[0], vectors[2])
          assert.deepStrictEqual(vectors[0], vectors[5])
          assert.deepStrictEqual(vectors[1], vectors[4])
          assert.isBelow(Similarity.cosine(vectors[0]!, vectors[1]!), 0.99)
          assert.strictEqual((yield* client.stats).deduplicated, 3)
        }))
      yield* withClient({ model: titanV2, cache: false }, ({ client, emulator }) =>
        Effect.gen(function*() {
          const vectors = yield* client.embedMany(texts)
          assert.strictEqual(invokeCount(emulator), 3)
          assert.deepStrictEqual(vectors[3], yield* client.embed("gamma"))
        }))
    }))

  it.live("embed calls composed with batching share calls and deduplicate too", () =>
    withClient({ model: cohereV3, cache: false }, ({ bodies, client, emulator }) =>
      Effect.gen(function*() {
        const [a, b, c] = yield* Effect.all([client.embed("red"), client.embed("green"), client.embed("red")], {
          concurrency: "unbounded",
          batching: true
        })
        assert.strictEqual(invokeCount(emulator), 1)
        assert.deepStrictEqual(bodies[0]!["texts"], ["red", "green"])
        assert.deepStrictEqual(a, c)
        assert.notDeepEqual(a, b)
      })))

  it.live("different options are separate calls", () =>
    withClient({ model: cohereV3, cache: false }, ({ bodies, client }) =>
      Effect.gen(function*() {
        yield* Effect.all([
          client.embed("what is a fox?", { inputType: "search_query" }),
          client.embed("a fox is an animal", { inputType: "search_document" })
        ], { concurrency: "unbounded", batching: true })
        assert.deepStrictEqual(bodies.map((body) => body["input_type"]).sort(), ["search_document", "search_query"])
      })))

  it.live("throttled calls are retried with the resilience policy", () =>
    withClient({ model: cohereV3, cache: false, retry: fastRetry }, ({ client, emulator }) =>
      Effect.gen(function*() {
        emulator.faults.enqueue("throttle", "throttle")
        const texts = Array.from({ length: 150 }, (_, i) => `text ${i}`)
        const vectors = yield* client.embedMany(texts)
        assert.strictEqual(vectors.length, 150)
        const stats = emulator.stats()
        assert.strictEqual(stats.responsesByStatus["429"], 2)
        assert.strictEqual(stats.responsesByStatus["200"], 2)
        assert.strictEqual(invokeCount(emulator), 4)
        assert.strictEqual((yield* client.stats).retries, 2)
      })))

  it.live("a call that stays throttled fails with ThrottlingError after maxAttempts", () =>
    withClient(
      { model: titanV2, cache: false, retry: { ...fastRetry, maxAttempts: 2 } },
      ({ client, emulator }) =>
        Effect.gen(function*() {
          emulator.faults.enqueue("throttle", "throttle", "throttle")
          const exit = yield* Effect.exit(client.embed("never"))
          assert.isTrue(Exit.isFailure(exit))
          const error = yield* Effect.flip(Effect.suspend(() => exit))
          assert.instanceOf(error, ThrottlingError)
          assert.strictEqual(invokeCount(emulator), 2)
        })
    ))

  it.live("a cache hit makes no request; other options are other entries", () =>
    withClient({ model: titanV2 }, ({ client, emulator }) =>
      Effect.gen(function*() {
        const first = yield* client.embed("cached text")
        const again = yield* client.embed("cached text")
        assert.deepStrictEqual(first, again)
        assert.strictEqual(invokeCount(emulator), 1)
        yield* client.embedMany(["cached text", "new text"])
        assert.strictEqual(invokeCount(emulator), 2)
        yield* client.embed("cached text", { dimensions: 256 })
        assert.strictEqual(invokeCount(emulator), 3)
        const stats = yield* client.stats
        assert.strictEqual(stats.cacheHits, 2)
        yield* client.clearCache
        yield* client.embed("cached text")
        assert.strictEqual(invokeCount(emulator), 4)
      })))

  it.live("bad input fails before any request", () =>
    withClient({ model: cohereV3 }, ({ client, emulator }) =>
      Effect.gen(function*() {
        const empty = yield* Effect.flip(client.embed(""))
        assert.strictEqual(empty._tag, "EmbeddingInputError")
        assert.strictEqual((empty as EmbeddingsClient.EmbeddingInputError).problem, "EmptyText")
        const blank = yield* Effect.flip(client.embedMany(["fine", "also fine", "  \n", "x"]))
        assert.deepStrictEqual(
          [
            (blank as EmbeddingsClient.EmbeddingInputError).problem,
            (blank as EmbeddingsClient.EmbeddingInputError).index
          ],
          ["EmptyText", 2]
        )
        const dims = yield* Effect.flip(client.embed("text", { dimensions: 2048 }))
        assert.strictEqual((dims as EmbeddingsClient.EmbeddingInputError).problem, "Dimensions")
        assert.include(dims.message, "1024")
        const inputType = yield* Effect.flip(client.embed("text", { inputType: "image" as never }))
        assert.strictEqual((inputType as EmbeddingsClient.EmbeddingInputError).problem, "InputType")
        assert.strictEqual(emulator.stats().requests, 0)
      })))

  it.live("an unsupported model fails the layer with UnsupportedModelError", () =>
    Effect.gen(function*() {
      for (const model of ["anthropic.claude-3-haiku-20240307-v1:0", "acme.unknown-embedder-v1"]) {
        const error = yield* Effect.flip(withClient({ model }, () => Effect.void))
        assert.strictEqual(error._tag, "UnsupportedModelError")
        assert.include(error.message, model)
      }
      const dims = yield* Effect.flip(withClient({ model: titanV2, defaults: { dimensions: 100 } }, () => Effect.void))
      assert.strictEqual(dims._tag, "EmbeddingInputError")
    }))

  it.live("similar texts rank first (topK over emulator embeddings)", () =>
    withClient({ model: titanV2 }, ({ client }) =>
      Effect.gen(function*() {
        const documents = [
          "Stock markets fell sharply on Monday after the interest rate decision",
          "The cat sat on the warm mat by the fireplace",
          "A recipe for tomato soup with basil and garlic",
          "Football season starts next week with a derby match"
        ]
        const vectors = yield* client.embedMany(documents)
        const query = yield* client.embed("where did the cat sit? on the mat")
        const best = Similarity.topK(query, vectors, 2)
        assert.strictEqual(best[0]!.index, 1)
        assert.isAbove(best[0]!.score, best[1]!.score)
        const soup = yield* client.embed("tomato soup recipe")
        assert.strictEqual(Similarity.topK(soup, vectors, 1)[0]!.index, 2)
      })))
})

describe("EmbeddingsClient with recorded real responses", () => {
  const directory = Path.join(import.meta.dirname, "fixtures", "recordings")
  const recordings = Fs.readdirSync(directory).filter((name) => name.includes("embed")).map((name) => ({
    name,
    recording: JSON.parse(Fs.readFileSync(Path.join(directory, name), "utf8")) as {
      readonly modelId: string
      readonly request: { readonly body: Record<string, unknown> }
      readonly response: { readonly body: Record<string, unknown> }
    }
  }))

  it("covers Titan v1, Titan v2 256d, Cohere v3 and Cohere v4 512d", () => {
    assert.deepStrictEqual(recordings.map((r) => r.recording.modelId).sort(), [titanV1, titanV2, cohereV3, cohereV4])
  })

  for (const { name, recording } of recordings) {
    it(`decodes ${name}`, () => {
      const model = Either.getOrThrow(EmbeddingsClient.resolveModel(recording.modelId))
      const decoded = Either.getOrThrow(EmbeddingsClient.decodeResponse(model.dialect, recording.response.body))
      const body = recording.request.body
      const texts = (body["texts"] as Array<string> | undefined) ?? [body["inputText"] as string]
      const dimensions = (body["dimensions"] ?? body["output_dimension"] ?? model.defaultDimensions) as number
      assert.strictEqual(decoded.vectors.length, texts.length)
      for (const vector of decoded.vectors) assert.strictEqual(vector.length, dimensions)
      if (model.dialect.startsWith("titan")) assert.isNumber(decoded.inputTokens)
      const options = {
        dimensions: body["dimensions"] ?? body["output_dimension"],
        normalize: body["normalize"],
        inputType: body["input_type"],
        truncate: body["truncate"]
      } as EmbeddingsClient.EmbeddingsClient.EmbedOptions
      assert.deepStrictEqual(EmbeddingsClient.encodeRequest(model.dialect, texts, options), body)
    })

    it.live(`returns the recorded vectors of ${name} through the SDK (replay)`, () =>
      withClient(
        { model: recording.modelId, cache: false },
        ({ client }) =>
          Effect.gen(function*() {
            const body = recording.request.body
            const texts = (body["texts"] as Array<string> | undefined) ?? [body["inputText"] as string]
            const vectors = yield* client.embedMany(texts, {
              dimensions: (body["dimensions"] ?? body["output_dimension"]) as number | undefined,
              inputType: body["input_type"] as EmbeddingsClient.InputType | undefined
            })
            const model = Either.getOrThrow(EmbeddingsClient.resolveModel(recording.modelId))
            const expected = Either.getOrThrow(EmbeddingsClient.decodeResponse(model.dialect, recording.response.body))
            assert.deepStrictEqual(vectors, expected.vectors)
          }),
        "http2",
        { replay: [recording as never] }
      ))
  }

  it("rejects bodies without float embeddings", () => {
    assert.isTrue(Either.isLeft(EmbeddingsClient.decodeResponse("titan-v2", { inputTextTokenCount: 3 })))
    assert.isTrue(Either.isLeft(EmbeddingsClient.decodeResponse("cohere-v4", { embeddings: { int8: [[1]] } })))
    assert.isTrue(Either.isLeft(EmbeddingsClient.decodeResponse("cohere-v3", { embeddings: [["x"]] })))
  })
})

describe("EmbeddingsClient cache (TestClock, counting runtime)", () => {
  /** A BedrockRuntime that answers Titan v2 calls itself and counts them. */
  const countingRuntime = (calls: Array<string>) =>
    Layer.succeed(
      BedrockRuntime.BedrockRuntime,
      {
        config: new ClientConfig({}),
        invokeModel: (input: InvokeModelCommandInput) =>
          Effect.sync(() => {
            const text = (JSON.parse(input.body as string) as { inputText: string }).inputText
            calls.push(text)
            const embedding = Array.from({ length: 256 }, (_, i) => (i === text.length % 256 ? 1 : 0))
            return {
              $metadata: {},
              contentType: "application/json",
              body: new TextEncoder().encode(JSON.stringify({ embedding, inputTextTokenCount: 1 }))
            } as unknown as InvokeModelCommandOutput
          })
      } as unknown as BedrockRuntime.BedrockRuntime.Service
    )

  const withCounted = <A, E>(
    cache: EmbeddingsClient.EmbeddingsClient.CacheOptions,
    f: (client: EmbeddingsClient.EmbeddingsClient.Service, calls: Array<string>) => Effect.Effect<A, E>
  ) => {
    const calls: Array<string> = []
    return Effect.flatMap(EmbeddingsClient.EmbeddingsClient, (client) => f(client, calls)).pipe(
      Effect.provide(
        EmbeddingsClient.layer({ model: titanV2, cache, defaults: { dimensions: 256 } }).pipe(
          Layer.provide(countingRuntime(calls))
        )
      )
    )
  }

  it.effect("at most `concurrency` calls are in flight, across concurrent embedMany calls too", () =>
    Effect.gen(function*() {
      let inFlight = 0
      let most = 0
      const slowRuntime = Layer.succeed(
        BedrockRuntime.BedrockRuntime,
        {
          config: new ClientConfig({}),
          invokeModel: () =>
            Effect.sync(() => {
              inFlight++
              most = Math.max(most, inFlight)
            }).pipe(
              Effect.zipRight(Effect.sleep("1 second")),
              Effect.ensuring(Effect.sync(() => inFlight--)),
              Effect.as(
                {
                  $metadata: {},
                  body: new TextEncoder().encode(JSON.stringify({ embedding: Array(256).fill(0.0625) }))
                } as unknown as InvokeModelCommandOutput
              )
            )
        } as unknown as BedrockRuntime.BedrockRuntime.Service
      )
      const texts = (prefix: string) => Array.from({ length: 12 }, (_, i) => `${prefix} ${i}`)
      const fiber = yield* Effect.fork(
        Effect.flatMap(
          EmbeddingsClient.EmbeddingsClient,
          (client) =>
            Effect.all([client.embedMany(texts("a")), client.embedMany(texts("b"))], { concurrency: "unbounded" })
        ).pipe(
          Effect.provide(
            EmbeddingsClient.layer({ model: titanV2, concurrency: 3, defaults: { dimensions: 256 } }).pipe(
              Layer.provide(slowRuntime)
            )
          )
        )
      )
      yield* TestClock.adjust("7 seconds")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
      yield* TestClock.adjust("1 second")
      const [a, b] = yield* Fiber.join(fiber)
      assert.strictEqual(a.length + b.length, 24)
      assert.strictEqual(most, 3)
    }))

  it.effect("an entry lives for timeToLive, then is fetched again", () =>
    withCounted({ capacity: 10, timeToLive: "1 minute" }, (client, calls) =>
      Effect.gen(function*() {
        yield* client.embed("kept")
        yield* TestClock.adjust("59 seconds")
        yield* client.embed("kept")
        assert.deepStrictEqual(calls, ["kept"])
        yield* TestClock.adjust("1 second")
        yield* client.embed("kept")
        assert.deepStrictEqual(calls, ["kept", "kept"])
        yield* TestClock.adjust("30 seconds")
        yield* client.embed("kept")
        assert.strictEqual(calls.length, 2)
      })))

  it.effect("capacity evicts the least recently used entry", () =>
    withCounted({ capacity: 2, timeToLive: "1 hour" }, (client, calls) =>
      Effect.gen(function*() {
        yield* client.embedMany(["a", "b"])
        yield* client.embed("a")
        yield* client.embed("c")
        assert.deepStrictEqual(calls, ["a", "b", "c"])
        yield* client.embed("a")
        assert.strictEqual(calls.length, 3)
        yield* client.embed("b")
        assert.deepStrictEqual(calls, ["a", "b", "c", "b"])
        const stats = yield* client.stats
        assert.strictEqual(stats.cacheHits, 2)
        assert.strictEqual(stats.cacheMisses, 4)
      })))
})
