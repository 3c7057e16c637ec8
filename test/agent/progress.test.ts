import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as Agent from "../../src/Agent.js"
import * as ScriptedBedrock from "../../src/ScriptedBedrock.js"
import type * as Telemetry from "../../src/Telemetry.js"
import * as Tool from "../../src/Tool.js"
import * as Toolkit from "../../src/Toolkit.js"
import { scriptedClient } from "../support/scripted.js"

const Weather = Tool.make("get_weather", {
  description: "Current weather for a city",
  parameters: { city: Schema.String },
  success: Schema.Struct({ celsius: Schema.Number })
})
const toolkit = Toolkit.make(Weather)
const handlers = toolkit.toLayer({ get_weather: () => Effect.succeed({ celsius: 21 }) })

const clientOver = (script: ReadonlyArray<ScriptedBedrock.Turn>) => Layer.merge(scriptedClient(script), handlers)

/** A step asking for the weather twice, once with an input that does not decode (a failed tool call). */
const twoCalls = ScriptedBedrock.toolCalls([
  { name: "get_weather", input: { city: "Paris" }, toolUseId: "w1" },
  { name: "get_weather", input: { city: 7 }, toolUseId: "w2" }
], { usage: { inputTokens: 100, outputTokens: 20 } })

const collect = () => {
  const seen: Array<Telemetry.Progress> = []
  return { seen, onProgress: (progress: Telemetry.Progress) => Effect.sync(() => void seen.push(progress)) }
}

describe("Agent onProgress", () => {
  it.effect("reports steps done of maxSteps, failed tool calls, tokens and cost after each step, then the end", () =>
    Effect.gen(function*() {
      const { onProgress, seen } = collect()
      const agent = Agent.make({ toolkit, limits: { maxSteps: 5 } })
      const result = yield* agent.run("Weather in Paris?", { onProgress })

      assert.deepStrictEqual(
        seen.map(({ done, ended, failed, inputTokens, outputTokens, total }) => ({
          total,
          done,
          failed,
          inputTokens,
          outputTokens,
          ended
        })),
        [
          { total: 5, done: 1, failed: 1, inputTokens: 100, outputTokens: 20, ended: false },
          { total: 5, done: 2, failed: 1, inputTokens: 130, outputTokens: 25, ended: false },
          { total: 5, done: 2, failed: 1, inputTokens: 130, outputTokens: 25, ended: true }
        ]
      )
      assert.isAbove(seen[0]!.cost, 0)
      assert.closeTo(seen[0]!.cost, result.steps[0]!.cost, 1e-12)
      assert.closeTo(seen.at(-1)!.cost, result.cost, 1e-12)
    }).pipe(Effect.provide(clientOver([
      twoCalls,
      ScriptedBedrock.text("21 degrees in Paris.", { usage: { inputTokens: 30, outputTokens: 5 } })
    ]))))

  it.effect("ends the report when the run fails on a limit, with the steps made so far", () =>
    Effect.gen(function*() {
      const { onProgress, seen } = collect()
      const agent = Agent.make({ toolkit, limits: { maxSteps: 1 } })
      const error = yield* Effect.flip(agent.run("Weather in Paris?", { onProgress }))

      assert.strictEqual(error._tag, "MaxStepsReached")
      assert.deepStrictEqual(seen.map((progress) => [progress.done, progress.total, progress.ended]), [
        [1, 1, false],
        [1, 1, true]
      ])
    }).pipe(Effect.provide(clientOver([twoCalls]))))

  it.effect("a run without onProgress reports nothing and runs as before", () =>
    Effect.gen(function*() {
      const result = yield* Agent.make({ toolkit }).run("Weather in Paris?")
      assert.strictEqual(result.text, "21 degrees in Paris.")
    }).pipe(Effect.provide(clientOver([twoCalls, ScriptedBedrock.text("21 degrees in Paris.")]))))
})
