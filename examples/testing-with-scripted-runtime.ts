/**
 * Unit-testing your own code over a scripted Bedrock: the model's answers are written in the test, a throttle is
 * retried after a backoff that `TestClock` passes at once, and nothing leaves the process.
 *
 *   npx tsx examples/testing-with-scripted-runtime.ts
 */
import { BedrockClient, BedrockError, Response, ScriptedBedrock } from "bedrock-llm"
import { Duration, Effect, Fiber, Layer, TestClock, TestContext } from "effect"

/** The code under test: your own function over the library's client. */
const capitalOf = (country: string) =>
  Effect.gen(function*() {
    const client = yield* BedrockClient.BedrockClient
    const response = yield* client.generate(`The capital of ${country}? One word.`)
    return Response.text(response).trim()
  })

/** The model's side of the test: a throttle, then the answer after 200 ms of (test) time. */
const runtime = ScriptedBedrock.layer([
  ScriptedBedrock.fail(new BedrockError.ThrottlingError({ message: "Too many requests", status: 429 })),
  ScriptedBedrock.text("Paris.", { delay: "200 millis" })
])

const client = BedrockClient.layer({
  model: { modelId: "amazon.nova-micro-v1:0" },
  retry: { baseDelay: Duration.seconds(1), jitter: false }
}).pipe(Layer.provide(runtime))

const test = Effect.gen(function*() {
  const started = performance.now()
  const fiber = yield* Effect.fork(capitalOf("France"))
  yield* TestClock.adjust("1200 millis") // the backoff, then the answer's delay
  const answer = yield* Fiber.join(fiber)
  const requests = yield* Effect.flatMap(ScriptedBedrock.ScriptedBedrock, (scripted) => scripted.requests)
  if (answer !== "Paris.") throw new Error(`expected "Paris.", got "${answer}"`)
  console.log(`answer: ${answer}`)
  console.log(
    `[${requests.length} calls, a retry after 1 s of test time; ${(performance.now() - started).toFixed(1)} ms real]`
  )
})

Effect.runPromise(test.pipe(Effect.provide(Layer.merge(client, runtime)), Effect.provide(TestContext.TestContext)))
