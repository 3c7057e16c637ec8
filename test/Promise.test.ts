import { afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import * as Net from "node:net"
import * as Emulator from "../src/emulator/Emulator.js"
import { BedrockLlmError, type Client, type Config, createClient, isBedrockLlmError } from "../src/Promise.js"
import type * as Response from "../src/Response.js"
import * as Similarity from "../src/Similarity.js"
import { makeHome, withEnv } from "./support/env.js"
import { eventuallyAsync as eventually } from "./support/eventually.js"

const modelId = "amazon.nova-micro-v1:0"
const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" }

/** Polls until `check` holds (bounded: 200 tries, 10 ms apart). */
/** A loopback TCP proxy in front of the emulator that counts the connections the client keeps open. */
interface Proxy {
  readonly url: string
  readonly open: () => number
  readonly accepted: () => number
  readonly close: () => Promise<void>
}

const startProxy = (targetPort: number): Promise<Proxy> =>
  new Promise((resolve, reject) => {
    const sockets = new Set<Net.Socket>()
    let accepted = 0
    const server = Net.createServer((client) => {
      accepted++
      sockets.add(client)
      const upstream = Net.connect(targetPort, "127.0.0.1")
      const done = () => {
        sockets.delete(client)
        client.destroy()
        upstream.destroy()
      }
      client.on("close", done).on("error", done)
      upstream.on("close", done).on("error", done)
      client.pipe(upstream).pipe(client)
    })
    server.on("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as Net.AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}`,
        open: () => sockets.size,
        accepted: () => accepted,
        close: () =>
          new Promise((done) => {
            for (const socket of sockets) socket.destroy()
            server.close(() => done())
          })
      })
    })
  })

const unexpected = (): never => assert.fail("expected a rejection")
const asError = (e: unknown) => e as BedrockLlmError

const textOf = (events: ReadonlyArray<Response.StreamEvent>): string =>
  events.map((event) => event._tag === "ContentBlockDelta" && event.delta._tag === "TextDelta" ? event.delta.text : "")
    .join("")

describe("Promise facade", () => {
  let emulator: Emulator.RunningEmulator
  const clients: Array<Client> = []
  const make = (config: Partial<Config> = {}): Client => {
    const client = createClient({
      region: "us-east-1",
      endpoint: emulator.url,
      credentials,
      modelId,
      model: { maxTokens: 200 },
      embeddingModelId: "amazon.titan-embed-text-v2:0",
      retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2, jitter: false },
      ...config
    })
    clients.push(client)
    return client
  }

  beforeEach(async () => {
    emulator = await Emulator.start()
  })

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()))
    await emulator.close()
  })

  it("generate answers and counts usage", async () => {
    const client = make()
    const response = await client.generate("What is the capital of France?")
    assert.strictEqual(response.message.role, "assistant")
    assert.isAbove(response.usage.outputTokens, 0)
    const usage = await client.usage()
    assert.strictEqual(usage.calls, 1)
  })

  it("stream is an AsyncIterable whose text is what generate returns", async () => {
    const client = make()
    const events: Array<Response.StreamEvent> = []
    for await (const event of client.stream("Tell me about foxes")) events.push(event)
    const tags = new Set(events.map((event) => event._tag))
    assert.isTrue(tags.has("ContentBlockDelta"))
    assert.isTrue(tags.has("MessageStop"))
    const response = await client.generate("Tell me about foxes")
    const generated = response.message.content.map((block) => block._tag === "Text" ? block.text : "").join("")
    assert.strictEqual(textOf(events), generated)
    assert.strictEqual(emulator.stats().activeStreams, 0)
  })

  it("leaving a for-await early aborts the request", async () => {
    const client = make()
    emulator.faults.enqueue("stall=3")
    let seen = 0
    for await (const _ of client.stream("Tell me a long story")) {
      if (++seen === 2) break
    }
    assert.strictEqual(seen, 2)
    assert.isTrue(await eventually(() => emulator.stats().streamsAbortedByClient === 1))
    assert.strictEqual(emulator.stats().activeStreams, 0)
  })

  it("generateObject decodes a value of the schema", async () => {
    const client = make()
    const Weather = Schema.Struct({ city: Schema.String, temperature: Schema.Number })
    const weather = await client.generateObject(Weather, "What is the weather in Paris?")
    assert.isString(weather.city)
    assert.isNumber(weather.temperature)
  })

  it("embed takes a text or a list of texts", async () => {
    const client = make({ embeddings: { dimensions: 256 } })
    const one = await client.embed("a red fox")
    assert.strictEqual(one.length, 256)
    const many = await client.embed(["a red fox", "a brown fox", "quarterly earnings report"])
    assert.strictEqual(many.length, 3)
    assert.deepStrictEqual(many[0], one)
    assert.isAbove(Similarity.cosine(many[0]!, many[1]!), Similarity.cosine(many[0]!, many[2]!))
  })

  it("batch settles every input in order", async () => {
    const client = make()
    const results = await client.batch([
      "first question",
      [{ role: "assistant", content: [{ _tag: "Text", text: "I speak first" }] }],
      { input: "third question", priority: 5 }
    ], { concurrency: 2 })
    assert.deepStrictEqual(results.map((r) => r.status), ["fulfilled", "rejected", "fulfilled"])
    const rejected = results[1]!
    assert.isTrue(rejected.status === "rejected" && rejected.reason instanceof BedrockLlmError)
  })

  it("failures are BedrockLlmError with the typed error's tag and fields", async () => {
    const client = make({ retry: { maxAttempts: 1 } })
    emulator.faults.enqueue("throttle")
    const error = await client.generate("hello").catch((e: unknown) => e)
    assert.instanceOf(error, Error)
    assert.isTrue(isBedrockLlmError(error, "ThrottlingError"))
    const throttled = error as BedrockLlmError
    assert.strictEqual(throttled.name, "BedrockLlmError")
    assert.isTrue(throttled.retryable)
    assert.strictEqual(throttled.status, 429)
    assert.isString(throttled.requestId)
    assert.strictEqual(throttled.fields["status"], 429)
    assert.strictEqual((throttled.cause as { _tag: string })._tag, "ThrottlingError")

    const empty = await client.embed(["ok", ""]).then(unexpected, asError)
    assert.strictEqual(empty.tag, "EmbeddingInputError")
    assert.isFalse(empty.retryable)
    assert.strictEqual(empty.fields["problem"], "EmptyText")
    assert.strictEqual((empty as unknown as { index: number }).index, 1)
  })

  it("a throttled call is retried with the configured policy", async () => {
    const client = make()
    emulator.faults.enqueue("throttle", "throttle")
    const response = await client.generate("hello")
    assert.strictEqual(response.message.role, "assistant")
    assert.strictEqual((await client.usage()).retries, 2)
  })

  it("configuration problems", async () => {
    assert.throws(() => createClient({ region: "Mars" }), /Invalid bedrock-llm configuration/)
    try {
      createClient({ embeddingModelId: "anthropic.claude-3-haiku-20240307-v1:0" })
      assert.fail("expected a throw")
    } catch (error) {
      assert.isTrue(isBedrockLlmError(error, "UnsupportedModelError"))
    }
    const generateOnly = make({ embeddingModelId: undefined })
    const missing = await generateOnly.embed("text").then(unexpected, asError)
    assert.strictEqual(missing.tag, "NotConfigured")
    const embedOnly = make({ modelId: undefined })
    assert.strictEqual((await embedOnly.generate("hi").then(unexpected, asError)).tag, "NotConfigured")
    assert.strictEqual((await embedOnly.embed("still works")).length, 1024)
  })

  it("a signal aborts a call in flight", async () => {
    const client = make()
    emulator.faults.enqueue("latency=30000")
    const controller = new AbortController()
    const pending = client.generate("slow", { signal: controller.signal }).then(unexpected, asError)
    assert.isTrue(await eventually(() => emulator.stats().requests === 1))
    controller.abort()
    assert.strictEqual((await pending).tag, "Aborted")
    const before = new AbortController()
    before.abort()
    assert.strictEqual(
      (await client.generate("never sent", { signal: before.signal }).then(unexpected, asError)).tag,
      "Aborted"
    )
    assert.strictEqual(emulator.stats().requests, 1)
  })

  it("a signal ends an open stream, between reads and during one", async () => {
    const client = make()
    for (const when of ["between reads", "during a read"] as const) {
      const controller = new AbortController()
      emulator.faults.enqueue("stall=2")
      const stream = client.stream("a streamed answer", { signal: controller.signal })[Symbol.asyncIterator]()
      assert.isFalse((await stream.next()).done)
      assert.isFalse((await stream.next()).done)
      let next: Promise<unknown>
      if (when === "between reads") {
        controller.abort()
        next = stream.next()
      } else {
        next = stream.next()
        await new Promise((resolve) => setTimeout(resolve, 50))
        controller.abort()
      }
      const error = await next.then(unexpected, asError)
      assert.strictEqual(error.tag, "Aborted", when)
      assert.isTrue((await stream.next()).done, when)
      assert.isTrue(await eventually(() => emulator.stats().activeStreams === 0), when)
    }
    await client.close()
  })

  for (const protocol of ["http2", "http1.1"] as const) {
    it(`close releases every connection (${protocol}); later calls reject with ClientClosed`, async () => {
      const proxy = await startProxy(emulator.port)
      try {
        const client = make({ endpoint: proxy.url, protocol })
        await Promise.all([client.generate("one"), client.generate("two"), client.embed(["a", "b", "c"])])
        const stream = client.stream("a streamed answer")[Symbol.asyncIterator]()
        emulator.faults.enqueue("stall=2")
        assert.isFalse((await stream.next()).done)
        assert.isAbove(proxy.open(), 0)
        emulator.faults.enqueue("latency=30000")
        const inFlight = client.generate("in flight").then(unexpected, asError)
        assert.isTrue(await eventually(() => emulator.stats().requestsByOperation["Converse"] === 3))

        await client.close()
        assert.isTrue(client.closed())
        assert.strictEqual((await inFlight).tag, "ClientClosed")
        assert.isTrue(await eventually(() => proxy.open() === 0))
        assert.isTrue(await eventually(() => emulator.stats().activeStreams === 0))
        await assertRejectsClosed(stream.next())
        await assertRejectsClosed(client.generate("after close"))
        await assertRejectsClosed(client.embed("after close"))
        const accepted = proxy.accepted()
        await assertRejectsClosed(client.stream("after close")[Symbol.asyncIterator]().next())
        await client.close()
        assert.strictEqual(proxy.accepted(), accepted)
      } finally {
        await proxy.close()
      }
    })
  }
})

const assertRejectsClosed = async (promise: Promise<unknown>) => {
  const error = await promise.then(() => "resolved", (e: unknown) => e)
  assert.isTrue(isBedrockLlmError(error, "ClientClosed"), String(error))
}

/** Runs `f` with nothing configured in the environment but `vars` (see `withEnv`). */
const inEnv = <A>(vars: Record<string, string | undefined>, f: () => Promise<A>): Promise<A> =>
  Effect.runPromise(withEnv(vars, Effect.promise(f)))

describe("Promise facade: the backend is chosen as LocalBedrock chooses it", () => {
  it("createClient({ modelId }) with no region anywhere answers from the embedded emulator", () =>
    inEnv({}, async () => {
      const client = createClient({ modelId })
      try {
        const response = await client.generate("Hello")
        assert.strictEqual(response.message.role, "assistant")
      } finally {
        await client.close()
      }
    }))

  it("a region and a profile's credentials from the environment: the calls go to the endpoint, signed", async () => {
    const keys = { accessKeyId: "AKIAPROFILEKEY000002", secretAccessKey: "profile/secret/key/1111111111111111111" }
    const signed = await Emulator.start({ credentials: keys })
    try {
      const home = makeHome({
        credentials:
          `[default]\naws_access_key_id = ${keys.accessKeyId}\naws_secret_access_key = ${keys.secretAccessKey}\n`
      })
      await inEnv({ HOME: home, AWS_REGION: "us-east-1", BEDROCK_ENDPOINT: signed.url }, async () => {
        const client = createClient({ modelId })
        try {
          assert.strictEqual((await client.generate("Hello")).message.role, "assistant")
          assert.strictEqual(signed.stats().requests, 1)
        } finally {
          await client.close()
        }
      })
    } finally {
      await signed.close()
    }
  })

  it("configuration mistakes reject with InvalidConfig naming what to set", () =>
    inEnv({}, async () => {
      const cases: ReadonlyArray<readonly [Record<string, string>, Partial<Config>, string]> = [
        [{ BEDROCK_EMULATOR: "0" }, {}, "AWS_REGION"],
        [{ BEDROCK_EMULATOR: "1", BEDROCK_HTTP_PROTOCOL: "http3" }, {}, "BEDROCK_HTTP_PROTOCOL"],
        [{}, { region: "us-east-1" }, "no AWS credentials"],
        [{}, { endpoint: "http://127.0.0.1:9" }, "AWS_REGION"]
      ]
      for (const [vars, config, expected] of cases) {
        Object.assign(process.env, vars)
        const client = createClient({ modelId, ...config })
        try {
          const error = await client.generate("Hello").then(unexpected, asError)
          assert.strictEqual(error.tag, "InvalidConfig", JSON.stringify(vars))
          assert.include(error.message, expected)
        } finally {
          await client.close()
          for (const name of Object.keys(vars)) delete process.env[name]
        }
      }
    }))
})
