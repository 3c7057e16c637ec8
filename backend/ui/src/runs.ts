/**
 * The playground's two kinds of turn: a chat completion streamed from `/v1/chat/completions`, and an agent run
 * streamed from `/v1/agents/{name}/runs`. Each reports the answer as it grows through `emit`.
 */
import { dataOf, events, type Failure, failureOf, failureOfThrown, send, statusOfType } from "./http.js"

/** Tokens of one answer or of a whole conversation. */
export interface Usage {
  readonly input: number
  readonly output: number
  readonly cacheRead: number
}

/** USD per million tokens, as `/playground/prices` answers. */
export interface Prices {
  readonly input: number
  readonly output: number
  readonly cacheRead: number
  readonly cacheWrite: number
}

export interface ToolCall {
  readonly id: string
  readonly name: string
  readonly input: unknown
  readonly outcome?: string
  readonly result?: unknown
}

/** One step of an agent run: what the model wrote, the tools it called, and its retries. */
export interface Step {
  readonly step: number
  readonly attempt: number
  readonly text: string
  readonly calls: ReadonlyArray<ToolCall>
  readonly retries: ReadonlyArray<string>
  readonly usage?: Usage
  readonly cost?: number
}

export interface UserTurn {
  readonly kind: "user"
  readonly text: string
  /** Data URLs. */
  readonly images: ReadonlyArray<string>
}

export interface AnswerTurn {
  readonly kind: "answer"
  /** The model, or `agent <name>`. */
  readonly source: string
  readonly text: string
  readonly reasoning: string
  readonly steps: ReadonlyArray<Step>
  readonly usage?: Usage
  readonly cost?: number
  readonly failure?: Failure
  readonly stopped: boolean
  readonly done: boolean
}

export type Turn = UserTurn | AnswerTurn

export const emptyAnswer = (source: string): AnswerTurn => ({
  kind: "answer",
  source,
  text: "",
  reasoning: "",
  steps: [],
  stopped: false,
  done: false
})

/** The cost of some usage at these prices: cache reads at their own price, every other input token at the input's. */
export const costOf = (usage: Usage, prices: Prices): number =>
  (usage.input * prices.input + usage.output * prices.output + usage.cacheRead * prices.cacheRead) / 1_000_000

export const addUsage = (a: Usage, b: Usage): Usage => ({
  input: a.input + b.input,
  output: a.output + b.output,
  cacheRead: a.cacheRead + b.cacheRead
})

const record = (value: unknown): Record<string, any> =>
  typeof value === "object" && value !== null ? value as Record<string, any> : {}

/** What a run or a chat ends with when it fails, is stopped, or its connection drops. */
const ended = (turn: AnswerTurn, error: unknown, signal: AbortSignal): AnswerTurn =>
  signal.aborted ? { ...turn, stopped: true, done: true } : { ...turn, failure: failureOfThrown(error), done: true }

/** A chat message as `/v1/chat/completions` takes it. */
interface ChatMessage {
  readonly role: "system" | "user" | "assistant"
  readonly content: string | ReadonlyArray<unknown>
}

/** The messages of a chat request: the system prompt, then every turn (images as inline data URLs). */
const chatMessages = (system: string, history: ReadonlyArray<Turn>): Array<ChatMessage> => [
  ...(system.trim() === "" ? [] : [{ role: "system" as const, content: system }]),
  ...history.flatMap((turn): Array<ChatMessage> => {
    if (turn.kind === "answer") return turn.text === "" ? [] : [{ role: "assistant", content: turn.text }]
    if (turn.images.length === 0) return [{ role: "user", content: turn.text }]
    return [{
      role: "user",
      content: [
        ...(turn.text === "" ? [] : [{ type: "text", text: turn.text }]),
        ...turn.images.map((url) => ({ type: "image_url", image_url: { url } }))
      ]
    }]
  })
]

export interface ChatOptions {
  readonly key: string
  readonly model: string
  readonly system: string
  readonly temperature: number | undefined
  readonly maxTokens: number | undefined
  readonly history: ReadonlyArray<Turn>
  readonly prices: Prices | undefined
  readonly signal: AbortSignal
  readonly emit: (turn: AnswerTurn) => void
}

/** Streams a chat completion; text and reasoning are emitted as each chunk arrives, usage and cost at the end. */
export const streamChat = async (options: ChatOptions): Promise<void> => {
  let turn = emptyAnswer(options.model)
  const update = (next: AnswerTurn) => {
    turn = next
    options.emit(turn)
  }
  try {
    const response = await send("/v1/chat/completions", {
      key: options.key,
      signal: options.signal,
      body: {
        model: options.model,
        messages: chatMessages(options.system, options.history),
        stream: true,
        stream_options: { include_usage: true },
        ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
        ...(options.maxTokens === undefined ? {} : { max_tokens: options.maxTokens })
      }
    })
    for await (const event of events(response)) {
      if (event.data === "[DONE]") break
      const chunk = record(dataOf(event))
      if (chunk["error"] !== undefined) {
        update({ ...turn, failure: failureOf(response.status === 200 ? 500 : response.status, chunk, null) })
        continue
      }
      const delta = record(chunk["choices"]?.[0]?.delta)
      if (typeof delta["content"] === "string" || typeof delta["reasoning_content"] === "string") {
        update({
          ...turn,
          text: turn.text + (delta["content"] ?? ""),
          reasoning: turn.reasoning + (delta["reasoning_content"] ?? "")
        })
      }
      const usage = chunk["usage"]
      if (usage !== undefined && usage !== null) {
        const cacheRead = usage.prompt_tokens_details?.cached_tokens ?? 0
        const used = { input: usage.prompt_tokens - cacheRead, output: usage.completion_tokens, cacheRead }
        update({
          ...turn,
          usage: used,
          ...(options.prices === undefined ? {} : { cost: costOf(used, options.prices) })
        })
      }
    }
    update({ ...turn, done: true })
  } catch (error) {
    update(ended(turn, error, options.signal))
  }
}

const usageOfJson = (value: unknown): Usage => {
  const usage = record(value)
  return {
    input: usage["input_tokens"] ?? 0,
    output: usage["output_tokens"] ?? 0,
    cacheRead: usage["cache_read_tokens"] ?? 0
  }
}

const withStep = (turn: AnswerTurn, index: number, change: (step: Step) => Step): AnswerTurn => {
  const steps = turn.steps.some((step) => step.step === index)
    ? turn.steps
    : [...turn.steps, { step: index, attempt: 1, text: "", calls: [], retries: [] }]
  return { ...turn, steps: steps.map((step) => step.step === index ? change(step) : step) }
}

/** Applies one event of a run to the answer. */
const applyRunEvent = (turn: AnswerTurn, name: string, data: Record<string, any>): AnswerTurn => {
  switch (name) {
    case "step.started":
      // A step started again after its stream failed mid-way is a replay: its text starts over.
      return withStep(turn, data["step"], (step) => ({ ...step, attempt: data["attempt"], text: "" }))
    case "text.delta":
      return withStep(turn, data["step"], (step) => ({ ...step, text: step.text + data["text"] }))
    case "tool.call":
      return withStep(turn, data["step"], (step) => ({
        ...step,
        calls: [...step.calls, { id: data["tool_use_id"], name: data["name"], input: data["input"] }]
      }))
    case "tool.result":
      return withStep(turn, data["step"], (step) => ({
        ...step,
        calls: step.calls.map((call) =>
          call.id === data["tool_use_id"] ? { ...call, outcome: data["outcome"], result: data["result"] } : call
        )
      }))
    case "step.retry":
      return withStep(turn, data["step"], (step) => ({ ...step, retries: [...step.retries, data["message"]] }))
    case "step.completed":
      return withStep(turn, data["step"], (step) => ({
        ...step,
        usage: usageOfJson(data["usage"]),
        cost: data["cost_usd"]
      }))
    case "run.completed":
      return { ...turn, text: data["output"], usage: usageOfJson(data["usage"]), cost: data["cost_usd"], done: true }
    case "error":
      return { ...turn, failure: failureOf(statusOfType(data["error"]?.type), data, null), done: true }
    default:
      return turn
  }
}

export interface RunOptions {
  readonly key: string
  readonly agent: string
  readonly input: string
  readonly conversationId: string | undefined
  readonly signal: AbortSignal
  readonly emit: (turn: AnswerTurn) => void
  /** The run's conversation, from `run.started`. */
  readonly onConversation: (id: string) => void
}

/** Streams an agent run: each step's text, tool calls with their input, tool results, retries, then the answer. */
export const streamRun = async (options: RunOptions): Promise<void> => {
  let turn = emptyAnswer(`agent ${options.agent}`)
  try {
    const response = await send(`/v1/agents/${encodeURIComponent(options.agent)}/runs`, {
      key: options.key,
      signal: options.signal,
      body: {
        input: options.input,
        stream: true,
        ...(options.conversationId === undefined ? {} : { conversation_id: options.conversationId })
      }
    })
    for await (const event of events(response)) {
      const data = record(dataOf(event))
      if (event.event === "run.started") options.onConversation(data["conversation_id"])
      turn = applyRunEvent(turn, event.event, data)
      options.emit(turn)
    }
    turn = { ...turn, done: true }
    options.emit(turn)
  } catch (error) {
    options.emit(ended(turn, error, options.signal))
  }
}

/** A saved conversation's messages (the library's JSON encoding) as turns. */
export const turnsOfConversation = (messages: ReadonlyArray<unknown>): Array<Turn> => {
  const turns: Array<Turn> = []
  const results = new Map<string, unknown>()
  for (const message of messages) {
    for (const block of record(message)["content"] ?? []) {
      if (block?._tag === "ToolResult") results.set(block.toolUseId, block.content)
    }
  }
  for (const message of messages) {
    const { role, content = [] } = record(message)
    const blocks: Array<Record<string, any>> = content
    const text = blocks.filter((block) => block._tag === "Text").map((block) => block.text).join("")
    if (role === "user") {
      if (text !== "") turns.push({ kind: "user", text, images: [] })
      continue
    }
    const calls = blocks.filter((block) => block._tag === "ToolUse").map((block): ToolCall => ({
      id: block.toolUseId,
      name: block.name,
      input: block.input,
      result: results.get(block.toolUseId)
    }))
    const previous = turns[turns.length - 1]
    const step: Step = { step: 1, attempt: 1, text: calls.length > 0 ? text : "", calls, retries: [] }
    if (previous?.kind === "answer" && !previous.done) {
      turns[turns.length - 1] = {
        ...previous,
        steps: [...previous.steps, { ...step, step: previous.steps.length + 1 }],
        text: calls.length > 0 ? previous.text : text,
        done: calls.length === 0
      }
    } else {
      turns.push({
        ...emptyAnswer("saved"),
        steps: calls.length > 0 ? [step] : [],
        text: calls.length > 0 ? "" : text,
        done: calls.length === 0
      })
    }
  }
  return turns.map((turn) => turn.kind === "answer" ? { ...turn, done: true } : turn)
}
