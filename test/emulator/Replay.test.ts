import {
  ConverseCommand,
  ConverseStreamCommand,
  CountTokensCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand
} from "@aws-sdk/client-bedrock-runtime"
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as http2 from "node:http2"
import * as path from "node:path"
import { Emulator } from "../../src/emulator/Emulator.js"
import { protocols, sdkClient } from "./helpers.js"

const directory = "test/fixtures/recordings"

interface RecordingFile {
  readonly file: string
  readonly operation: string
  readonly modelId: string
  readonly request: { readonly path: string; readonly headers: Record<string, string>; readonly body?: any }
  readonly response: {
    readonly status: number
    readonly headers: Record<string, string>
    readonly body?: any
    readonly bodyBase64?: string
  }
  readonly frames?: ReadonlyArray<Record<string, any>>
}

const recordings: ReadonlyArray<RecordingFile> = fs.readdirSync(directory).filter((name) => name.endsWith(".json"))
  .sort().map((file) => ({ file, ...JSON.parse(fs.readFileSync(path.join(directory, file), "utf8")) }))

/** SDK values as JSON: blobs become base64, undefined members vanish. */
const normalize = (value: unknown): unknown =>
  JSON.parse(JSON.stringify(value, (_key, member) =>
    member instanceof Uint8Array
      ? Buffer.from(member).toString("base64")
      : member !== null && typeof member === "object" && "0" in member && typeof member[0] === "number" &&
          !Array.isArray(member)
      ? Buffer.from(Object.values(member) as Array<number>).toString("base64")
      : member))

/** Everything the SDK decoded is in the recording with the same value (the SDK drops members it doesn't model). */
const assertDecodedFrom = (actual: unknown, recorded: unknown, where: string): void => {
  if (Array.isArray(actual)) {
    assert.isArray(recorded, where)
    assert.strictEqual(actual.length, (recorded as Array<unknown>).length, where)
    actual.forEach((item, i) => assertDecodedFrom(item, (recorded as Array<unknown>)[i], `${where}[${i}]`))
  } else if (actual !== null && typeof actual === "object") {
    assert.isObject(recorded, where)
    for (const [key, value] of Object.entries(actual)) {
      assertDecodedFrom(value, (recorded as Record<string, unknown>)[key], `${where}.${key}`)
    }
  } else {
    assert.deepStrictEqual(actual, recorded, where)
  }
}

const countTokensInput = (input: any) =>
  input.invokeModel !== undefined
    ? { invokeModel: { body: Buffer.from(input.invokeModel.body, "base64") } }
    : input

const command = (recording: RecordingFile): any => {
  const { modelId, request } = recording
  switch (recording.operation) {
    case "Converse":
      return new ConverseCommand({ modelId, ...request.body })
    case "ConverseStream":
      return new ConverseStreamCommand({ modelId, ...request.body })
    case "InvokeModel":
      return new InvokeModelCommand({
        modelId,
        body: JSON.stringify(request.body),
        contentType: request.headers["content-type"],
        accept: request.headers["accept"]
      })
    case "InvokeModelWithResponseStream":
      return new InvokeModelWithResponseStreamCommand({ modelId, body: JSON.stringify(request.body) })
    case "CountTokens":
      return new CountTokensCommand({ modelId, input: countTokensInput(request.body.input) })
  }
  throw new Error(`unexpected operation ${recording.operation}`)
}

const signedLooking = {
  "authorization":
    `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=${
      "0".repeat(64)
    }`,
  "x-amz-date": "20260101T000000Z"
}

for (const protocol of protocols) {
  layer(Emulator.layer({ replay: directory }), { excludeTestServices: true })(`replay over ${protocol}`, (it) => {
    it.scoped("all 39 recordings decode through the SDK to what was recorded", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator
        const client = yield* sdkClient(emulator, protocol)
        assert.strictEqual(recordings.length, 39)
        for (const recording of recordings) {
          const where = recording.file
          const outcome = yield* Effect.tryPromise(() => client.send(command(recording))).pipe(Effect.either)
          if (recording.response.status !== 200) {
            assert.isTrue(outcome._tag === "Left", where)
            const error = (outcome as { left: { cause: any } }).left.cause
            assert.strictEqual(error.$metadata.httpStatusCode, recording.response.status, where)
            assert.strictEqual(error.message, recording.response.body.message, where)
            const errorType = recording.response.headers["x-amzn-errortype"]
            if (errorType !== undefined) assert.strictEqual(error.name, errorType.split(":")[0], where)
            continue
          }
          assert.isTrue(outcome._tag === "Right", where)
          const output = (outcome as { right: any }).right
          switch (recording.operation) {
            case "Converse":
            case "CountTokens": {
              const { $metadata: _, ...decoded } = output
              assertDecodedFrom(normalize(decoded), recording.response.body, where)
              assert.isNotEmpty(Object.keys(decoded), where)
              break
            }
            case "InvokeModel": {
              assert.deepStrictEqual(
                JSON.parse(Buffer.from(output.body).toString("utf8")),
                recording.response.body,
                where
              )
              assert.strictEqual(output.contentType, recording.response.headers["content-type"], where)
              break
            }
            case "ConverseStream": {
              const events: Array<unknown> = []
              for (
                const event of yield* Effect.promise(async () => {
                  const all: Array<unknown> = []
                  for await (const item of output.stream) all.push(item)
                  return all
                })
              ) events.push(normalize(event))
              assert.strictEqual(events.length, recording.frames!.length, where)
              events.forEach((event, i) => {
                const frame = recording.frames![i]!
                assert.deepStrictEqual(Object.keys(event as object), [frame[":event-type"]], `${where} #${i}`)
                assertDecodedFrom(event, { [frame[":event-type"]]: frame["payload"] }, `${where} #${i}`)
              })
              break
            }
            case "InvokeModelWithResponseStream": {
              const chunks = yield* Effect.promise(async () => {
                const all: Array<unknown> = []
                for await (const item of output.body) {
                  all.push(JSON.parse(Buffer.from(item.chunk.bytes).toString("utf8")))
                }
                return all
              })
              assert.deepStrictEqual(chunks, recording.frames!.map((frame) => frame["bytesDecoded"]), where)
              break
            }
          }
        }
      }))
  })
}

layer(Emulator.layer({ replay: directory }), { excludeTestServices: true })("replay bytes", (it) => {
  it.scoped("event-stream bodies are served byte for byte, with the recorded headers", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      const session = yield* Effect.acquireRelease(
        Effect.sync(() => http2.connect(emulator.url)),
        (session) => Effect.sync(() => session.close())
      )
      const streams = recordings.filter((recording) => recording.response.bodyBase64 !== undefined)
      assert.strictEqual(streams.length, 13)
      for (const recording of streams) {
        const { body, headers } = yield* Effect.promise(() =>
          new Promise<{ body: Buffer; headers: http2.IncomingHttpHeaders }>((resolve, reject) => {
            const request = session.request({
              ":method": "POST",
              ":path": recording.request.path,
              "content-type": "application/json",
              ...signedLooking
            })
            const chunks: Array<Buffer> = []
            let responseHeaders: http2.IncomingHttpHeaders = {}
            request.on("response", (received) => (responseHeaders = received))
            request.on("data", (chunk: Buffer) => chunks.push(chunk))
            request.on("end", () => resolve({ body: Buffer.concat(chunks), headers: responseHeaders }))
            request.on("error", reject)
            request.end(JSON.stringify(recording.request.body))
          })
        )
        assert.strictEqual(Number(headers[":status"]), 200, recording.file)
        assert.strictEqual(headers["content-type"], "application/vnd.amazon.eventstream", recording.file)
        assert.match(String(headers["x-amzn-requestid"]), /^[0-9a-f-]{36}$/)
        for (const [name, value] of Object.entries(recording.response.headers)) {
          assert.strictEqual(headers[name], value, `${recording.file} ${name}`)
        }
        assert.strictEqual(body.toString("base64"), recording.response.bodyBase64, recording.file)
      }
    }))
})
