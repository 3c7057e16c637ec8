import { ConverseCommand, ConverseStreamCommand, ThrottlingException } from "@aws-sdk/client-bedrock-runtime"
import { assert, describe, it, layer } from "@effect/vitest"
import { Effect, Exit, Layer } from "effect"
import * as fc from "fast-check"
import { spawn } from "node:child_process"
import * as http2 from "node:http2"
import { Emulator, EmulatorStartError, start } from "../../src/emulator/Emulator.js"
import { credentials, eventually, hello, protocols, sdkClient, withFault } from "./helpers.js"

const replay = "test/fixtures/recordings"
const novaMicro = "us.amazon.nova-micro-v1:0"

const wellFormedAuthorization = {
  "authorization":
    `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=${
      "a".repeat(64)
    }`,
  "x-amz-date": "20260101T000000Z"
}

const post = (url: string, body: string | Uint8Array, headers: Record<string, string> = {}) =>
  Effect.promise(async () => {
    const response = await fetch(url, {
      method: "POST",
      body,
      headers: { "content-type": "application/json", ...headers }
    })
    return { status: response.status, headers: response.headers, text: await response.text() }
  })

/** A raw HTTP/2 request with prior knowledge (what the SDK's default handler sends). */
const h2Request = (url: string, requestPath: string, headers: Record<string, string>, body: string) =>
  Effect.promise(() =>
    new Promise<{ status: number; headers: http2.IncomingHttpHeaders; text: string }>((resolve, reject) => {
      const session = http2.connect(url)
      session.on("error", reject)
      const request = session.request({ ":method": "POST", ":path": requestPath, ...headers })
      let responseHeaders: http2.IncomingHttpHeaders = {}
      let text = ""
      request.setEncoding("utf8")
      request.on("response", (received) => (responseHeaders = received))
      request.on("data", (chunk: string) => (text += chunk))
      request.on("end", () => {
        session.close()
        resolve({ status: Number(responseHeaders[":status"]), headers: responseHeaders, text })
      })
      request.on("error", reject)
      request.end(body)
    })
  )

layer(Emulator.layer({ replay }), { excludeTestServices: true })("transport, authentication and routing", (it) => {
  it.effect("binds loopback on an ephemeral port", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      assert.strictEqual(emulator.host, "127.0.0.1")
      assert.isAbove(emulator.port, 0)
      assert.strictEqual(emulator.url, `http://127.0.0.1:${emulator.port}`)
    }))

  it.effect("a request without authorization gets Bedrock's 403, over HTTP/1.1 and HTTP/2", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      const h1 = yield* post(`${emulator.url}/model/${novaMicro}/converse`, JSON.stringify({ messages: hello }))
      assert.strictEqual(h1.status, 403)
      assert.strictEqual(
        h1.headers.get("x-amzn-errortype"),
        "AccessDeniedException:http://internal.amazon.com/coral/com.amazon.coral.service/"
      )
      assert.deepStrictEqual(JSON.parse(h1.text), { Message: "Authorization header is missing" })
      assert.match(h1.headers.get("x-amzn-requestid") ?? "", /^[0-9a-f-]{36}$/)
      const h2 = yield* h2Request(emulator.url, "/model/us.amazon.nova-micro-v1%3A0/converse-stream", {}, "{}")
      assert.strictEqual(h2.status, 403)
      assert.match(String(h2.headers["x-amzn-errortype"]), /^AccessDeniedException:/)
      assert.match(String(h2.headers["x-amzn-requestid"]), /^[0-9a-f-]{36}$/)
    }))

  it.effect("a malformed SigV4 header gets IncompleteSignatureException naming what is missing", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      const response = yield* post(`${emulator.url}/model/${novaMicro}/converse`, "{}", {
        authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/bedrock/aws4_request"
      })
      assert.strictEqual(response.status, 403)
      assert.match(response.headers.get("x-amzn-errortype") ?? "", /^IncompleteSignatureException:/)
      assert.match(JSON.parse(response.text).message, /requires 'Signature' parameter/)
      const wrongService = yield* post(`${emulator.url}/model/${novaMicro}/converse`, "{}", {
        ...wellFormedAuthorization,
        authorization: wellFormedAuthorization.authorization.replace("/bedrock/", "/s3/")
      })
      assert.strictEqual(wrongService.status, 403)
      assert.match(JSON.parse(wrongService.text).message, /scoped to correct service: 'bedrock'/)
      const noDate = yield* post(`${emulator.url}/model/${novaMicro}/converse`, "{}", {
        authorization: wellFormedAuthorization.authorization
      })
      assert.strictEqual(noDate.status, 403)
      assert.match(JSON.parse(noDate.text).message, /X-Amz-Date/)
    }))

  it.effect("a Bedrock API key (Bearer) is accepted as the service accepts it", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      const response = yield* post(
        `${emulator.url}/model/us.amazon.nova-micro-v1%3A0/converse`,
        JSON.stringify({ messages: hello }),
        { authorization: "Bearer ABSKexample" }
      )
      assert.strictEqual(response.status, 200)
      assert.strictEqual(JSON.parse(response.text).stopReason, "end_turn")
    }))

  it.effect("unknown routes are 404 UnknownOperationException", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      for (const target of ["/model/x/chat", "/models/x/converse", "/", "/guardrail/g/apply"]) {
        const response = yield* post(`${emulator.url}${target}`, "{}", wellFormedAuthorization)
        assert.strictEqual(response.status, 404, target)
        assert.match(response.headers.get("x-amzn-errortype") ?? "", /^UnknownOperationException:/, target)
      }
      const get = yield* Effect.promise(() => fetch(`${emulator.url}/model/x/converse`))
      assert.strictEqual(get.status, 404)
    }))

  it.effect("malformed bodies are answered 400 with a message and never take the server down", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      const url = `${emulator.url}/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke`
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(fc.uint8Array({ maxLength: 64 }), async (bytes) => {
            const body = Buffer.concat([Buffer.from("{"), Buffer.from(bytes)])
            const response = await fetch(url, { method: "POST", body, headers: wellFormedAuthorization })
            const text = await response.text()
            return response.status === 400 && typeof JSON.parse(text).message === "string"
          }),
          { numRuns: 40 }
        )
      )
      const alive = yield* Effect.promise(() => fetch(`${emulator.url}/__emulator/stats`))
      assert.strictEqual(alive.status, 200)
    }))

  it.effect("stats endpoint and JS API report the same counters; reset zeroes them", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      yield* post(`${emulator.url}/__emulator/reset`, "")
      yield* post(`${emulator.url}/model/${novaMicro}/converse`, JSON.stringify({ messages: hello }), {
        ...wellFormedAuthorization,
        "x-emulator-fault": "throttle"
      })
      yield* post(`${emulator.url}/model/${novaMicro}/converse`, JSON.stringify({ messages: hello }), {
        ...wellFormedAuthorization
      })
      const stats = yield* Effect.promise(() =>
        fetch(`${emulator.url}/__emulator/stats`).then((r) => r.json() as Promise<any>)
      )
      assert.deepStrictEqual(stats, emulator.stats())
      assert.strictEqual(stats.requests, 2)
      assert.deepStrictEqual(stats.requestsByOperation, { Converse: 2 })
      assert.deepStrictEqual(stats.faultsInjected, { throttle: 1 })
      assert.deepStrictEqual(stats.responsesByStatus, { "200": 1, "429": 1 })
      assert.strictEqual(stats.streamsAbortedByClient, 0)
      assert.strictEqual(stats.activeStreams, 0)
      const planned = yield* post(`${emulator.url}/__emulator/faults`, JSON.stringify({ enqueue: ["internal"] }))
      assert.deepStrictEqual(JSON.parse(planned.text), { pending: 1 })
      yield* post(`${emulator.url}/__emulator/reset`, "")
      assert.strictEqual(emulator.faults.pending(), 0)
      assert.strictEqual(emulator.stats().requests, 0)
    }))
})

for (const protocol of protocols) {
  layer(Emulator.layer({ replay, credentials }), { excludeTestServices: true })(
    `signature verification over ${protocol}`,
    (it) => {
      it.scoped("the right secret passes; a wrong secret or an unknown key is refused as AWS refuses it", () =>
        Effect.gen(function*() {
          const emulator = yield* Emulator
          const good = yield* sdkClient(emulator, protocol)
          const arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/1arbu5hu2sjr"
          const ok = yield* Effect.promise(() =>
            good.send(new ConverseCommand({ modelId: arn, messages: [{ role: "user", content: [{ text: "hi" }] }] }))
          )
          assert.strictEqual(ok.$metadata.httpStatusCode, 200)
          const bad = yield* sdkClient(emulator, protocol, "not-the-secret")
          const refused = yield* Effect.tryPromise(() =>
            bad.send(new ConverseCommand({ modelId: novaMicro, messages: hello }))
          ).pipe(Effect.flip)
          const cause = (refused as { cause: any }).cause
          assert.strictEqual(cause.name, "InvalidSignatureException")
          assert.strictEqual(cause.$metadata.httpStatusCode, 403)
          assert.notInclude(cause.message, credentials.secretAccessKey)
          const tampered = new ConverseCommand({ modelId: novaMicro, messages: hello })
          tampered.middlewareStack.add((next) => (args: any) => {
            args.request.body = String(args.request.body).replace("France", "Spain")
            args.request.headers["content-length"] = String(args.request.body.length)
            return next(args)
          }, { step: "deserialize" })
          const afterSigning = yield* Effect.tryPromise(() => good.send(tampered)).pipe(Effect.flip)
          assert.strictEqual((afterSigning as { cause: any }).cause.name, "InvalidSignatureException")
          const unknown = yield* Effect.tryPromise(() =>
            fetch(`${emulator.url}/model/${novaMicro}/converse`, {
              method: "POST",
              body: "{}",
              headers: {
                ...wellFormedAuthorization,
                authorization: wellFormedAuthorization.authorization.replace("AKIDEXAMPLE", "AKIDOTHER")
              }
            })
          )
          assert.strictEqual(unknown.status, 403)
          assert.match(unknown.headers.get("x-amzn-errortype") ?? "", /^UnrecognizedClientException:/)
        }))
    }
  )
}

const scenario = {
  models: {
    "us.anthropic.claude-3-5-haiku-20241022-v1:0": [
      {
        output: {
          message: {
            role: "assistant",
            content: [
              { text: "Let me look that up." },
              { toolUse: { toolUseId: "tooluse_1", name: "get_weather", input: { city: "Paris" } } }
            ]
          }
        },
        usage: { inputTokens: 20, outputTokens: 12 }
      },
      { error: { type: "ThrottlingException" } },
      { text: "It is sunny in Paris.", usage: { inputTokens: 40, outputTokens: 6 } }
    ]
  },
  turns: [{ text: "default answer" }]
}

for (const protocol of protocols) {
  layer(Emulator.layer({ scenario }), { excludeTestServices: true })(`scripted mode over ${protocol}`, (it) => {
    it.scoped("answers turn by turn, per model, with errors where the scenario says", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator
        emulator.reset()
        const client = yield* sdkClient(emulator, protocol)
        const modelId = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
        const first = yield* Effect.promise(() => client.send(new ConverseCommand({ modelId, messages: hello })))
        assert.strictEqual(first.stopReason, "tool_use")
        assert.deepStrictEqual(first.output?.message?.content?.[1]?.toolUse, {
          toolUseId: "tooluse_1",
          name: "get_weather",
          input: { city: "Paris" }
        })
        assert.deepStrictEqual(first.usage, { inputTokens: 20, outputTokens: 12, totalTokens: 32 })
        const second = yield* Effect.tryPromise(() => client.send(new ConverseCommand({ modelId, messages: hello })))
          .pipe(Effect.flip)
        assert.instanceOf((second as { cause: unknown }).cause, ThrottlingException)
        const third = yield* Effect.promise(() => client.send(new ConverseCommand({ modelId, messages: hello })))
        assert.strictEqual(third.output?.message?.content?.[0]?.text, "It is sunny in Paris.")
        assert.strictEqual(third.stopReason, "end_turn")
        const other = yield* Effect.promise(() =>
          client.send(new ConverseCommand({ modelId: "amazon.nova-lite-v1:0", messages: hello }))
        )
        assert.strictEqual(other.output?.message?.content?.[0]?.text, "default answer")
      }))

    it.scoped("a scripted turn streams as ConverseStream events that fold back to the same answer", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator
        emulator.reset()
        const client = yield* sdkClient(emulator, protocol)
        const response = yield* Effect.promise(() =>
          client.send(
            new ConverseStreamCommand({ modelId: "us.anthropic.claude-3-5-haiku-20241022-v1:0", messages: hello })
          )
        )
        const events = yield* Effect.promise(async () => {
          const all: Array<any> = []
          for await (const event of response.stream ?? []) all.push(event)
          return all
        })
        assert.deepStrictEqual(Object.keys(events[0]), ["messageStart"])
        assert.deepStrictEqual(Object.keys(events[events.length - 2]), ["messageStop"])
        assert.deepStrictEqual(Object.keys(events[events.length - 1]), ["metadata"])
        assert.strictEqual(events[events.length - 2].messageStop.stopReason, "tool_use")
        const text = events.map((event) => event.contentBlockDelta?.delta?.text ?? "").join("")
        assert.strictEqual(text, "Let me look that up.")
        const toolInput = events.map((event) => event.contentBlockDelta?.delta?.toolUse?.input ?? "").join("")
        assert.deepStrictEqual(JSON.parse(toolInput), { city: "Paris" })
        const start = events.find((event) => event.contentBlockStart !== undefined)
        assert.deepStrictEqual(start.contentBlockStart.start.toolUse, { toolUseId: "tooluse_1", name: "get_weather" })
        assert.strictEqual(events[events.length - 1].metadata.usage.totalTokens, 32)
      }))
  })
}

describe("lifecycle", () => {
  it.effect("an invalid scenario fails the layer with EmulatorStartError", () =>
    Effect.gen(function*() {
      const exit = yield* Layer.build(Emulator.layer({ scenario: { turns: [{ nothing: true }] } as never })).pipe(
        Effect.scoped,
        Effect.exit
      )
      assert.isTrue(Exit.isFailure(exit))
      const error = yield* Effect.flip(
        Layer.build(Emulator.layer({ replay: "/nonexistent/recordings" })).pipe(
          Effect.scoped
        )
      )
      assert.instanceOf(error, EmulatorStartError)
    }))

  it.live("close() ends open and stalled streams at once", () =>
    Effect.scoped(Effect.gen(function*() {
      const emulator = yield* Effect.promise(() => start({ replay }))
      const client = yield* sdkClient(emulator, "http2")
      const response = yield* Effect.promise(() =>
        client.send(withFault(new ConverseStreamCommand({ modelId: novaMicro, messages: hello }), "stall=1"))
      )
      assert.isTrue(yield* eventually(() => emulator.stats().activeStreams === 1))
      const started = Date.now()
      yield* Effect.promise(() => emulator.close())
      const ended = yield* Effect.promise(async () => {
        try {
          for await (const _ of response.stream ?? []) {
            // the stalled stream ends or fails once its connection is destroyed
          }
          return "ended"
        } catch {
          return "failed"
        }
      })
      assert.oneOf(ended, ["ended", "failed"])
      assert.isBelow(Date.now() - started, 1000)
    })))

  it.live("the CLI prints its endpoint, serves requests and stops on SIGTERM", () =>
    Effect.scoped(Effect.gen(function*() {
      const child = yield* Effect.acquireRelease(
        Effect.sync(() =>
          spawn(process.execPath, ["--import", "tsx", "src/emulator/cli.ts", "--port", "0", "--quiet"], {
            stdio: ["ignore", "pipe", "pipe"]
          })
        ),
        (child) => Effect.sync(() => child.exitCode === null && child.kill("SIGKILL"))
      )
      const url = yield* Effect.promise(() =>
        new Promise<string>((resolve, reject) => {
          let output = ""
          const timer = setTimeout(() => reject(new Error(`no endpoint printed: ${output}`)), 15_000)
          child.stdout.on("data", (chunk: Buffer) => {
            output += chunk.toString()
            const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
            if (match !== null) {
              clearTimeout(timer)
              resolve(match[1]!)
            }
          })
        })
      )
      const stats = yield* Effect.promise(() =>
        fetch(`${url}/__emulator/stats`).then((response) => response.json() as Promise<any>)
      )
      assert.strictEqual(stats.requests, 0)
      const code = yield* Effect.promise(() =>
        new Promise<number | null>((resolve) => {
          child.on("exit", (exitCode) => resolve(exitCode))
          child.kill("SIGTERM")
        })
      )
      assert.isTrue(code === 0 || code === 130 || code === 143 || code === null)
    })))
})
