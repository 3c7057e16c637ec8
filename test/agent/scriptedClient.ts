/**
 * An in-process `BedrockClient` that answers from scripted turns (text, then tool uses), streamed as the client's
 * events or folded into one response for `generate`: the agent's loop without a transport, for tests on the TestClock.
 */
import { Effect, Layer, Stream } from "effect"
import * as BedrockClient from "../../src/BedrockClient.js"
import { ModelConfig } from "../../src/Config.js"
import * as Response from "../../src/Response.js"

export interface ScriptedTurn {
  readonly text?: string | undefined
  readonly toolUses?: ReadonlyArray<{ readonly id: string; readonly name: string; readonly input: unknown }> | undefined
  /** Total tokens of the turn; default 15. */
  readonly tokens?: number | undefined
}

export const eventsOf = (turn: ScriptedTurn): ReadonlyArray<Response.StreamEvent> => {
  const events: Array<Response.StreamEvent> = [{ _tag: "MessageStart", role: "assistant" }]
  let index = 0
  if (turn.text !== undefined) {
    events.push({ _tag: "ContentBlockDelta", index, delta: { _tag: "TextDelta", text: turn.text } })
    events.push({ _tag: "ContentBlockStop", index: index++ })
  }
  for (const use of turn.toolUses ?? []) {
    events.push({
      _tag: "ContentBlockStart",
      index,
      start: { _tag: "ToolUseStart", toolUseId: use.id, name: use.name }
    })
    events.push({
      _tag: "ContentBlockDelta",
      index,
      delta: { _tag: "ToolUseInputDelta", input: JSON.stringify(use.input) }
    })
    events.push({ _tag: "ContentBlockStop", index: index++ })
  }
  const stopReason = (turn.toolUses ?? []).length > 0 ? "tool_use" : "end_turn"
  const totalTokens = turn.tokens ?? 15
  events.push({ _tag: "MessageStop", stopReason })
  events.push({ _tag: "Metadata", usage: { inputTokens: totalTokens - 5, outputTokens: 5, totalTokens }, metrics: {} })
  return events
}

/** The client: each call (streamed or not) answers with the next turn, the last one again once they run out. */
export const scriptedClient = (
  turns: ReadonlyArray<ScriptedTurn>,
  requests: Array<BedrockClient.BedrockClient.Request> = []
) => {
  let next = 0
  return Layer.sync(BedrockClient.BedrockClient, () => {
    const unused = Effect.dieMessage("not used by the agent")
    const nextEvents = (input: BedrockClient.BedrockClient.Input) => {
      requests.push(input as BedrockClient.BedrockClient.Request)
      return eventsOf(turns[Math.min(next++, turns.length - 1)]!)
    }
    const stream = (input: BedrockClient.BedrockClient.Input) =>
      Stream.suspend(() => Stream.fromIterable(nextEvents(input)))
    return {
      model: new ModelConfig({ modelId: "fake" }),
      generate: (input) =>
        Effect.suspend(() =>
          Effect.orDie(
            nextEvents(input).reduce((acc, event) => acc.add(event), Response.Accumulator.empty).toResponse()
          )
        ),
      stream,
      streamPull: (input) => Stream.toPull(stream(input)),
      generateObject: () => unused,
      batch: () => unused,
      cost: () => Effect.succeed({ input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0.001 }),
      usage: unused
    }
  })
}
