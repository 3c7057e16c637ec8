/**
 * A retrieval-augmented agent: a small handbook is embedded once with `EmbeddingsClient`; the agent's
 * `search_handbook` tool embeds the question and returns the closest passages (`Similarity.rank`); the agent answers
 * from them and cites the sections it used.
 *
 *   npx tsx examples/rag-agent.ts "How many vacation days do I get?"
 */
import { Agent, EmbeddingsClient, Similarity, Tool, Toolkit } from "bedrock-llm"
import { Context, Effect, Layer, Schema } from "effect"
import { ClientLive, runMain } from "./live.js"
import { plural } from "./plural.js"

const handbook: ReadonlyArray<{ readonly section: string; readonly text: string }> = [
  { section: "Leave", text: "Full-time employees get 25 vacation days per year, plus public holidays." },
  { section: "Leave", text: "Unused vacation days carry over until the end of March of the following year." },
  { section: "Expenses", text: "Travel expenses are reimbursed within 30 days when submitted with receipts." },
  { section: "Remote work", text: "Employees may work remotely up to three days a week after their probation." },
  { section: "Equipment", text: "Each employee receives a laptop; a second monitor is available on request." },
  { section: "Health", text: "The company pays for a yearly health check and offers free flu vaccinations." }
]

/** The handbook, embedded once when the layer is built. */
class Handbook extends Context.Tag("example/Handbook")<Handbook, {
  readonly search: (question: string, k: number) => Effect.Effect<
    ReadonlyArray<{ readonly section: string; readonly text: string; readonly score: number }>,
    EmbeddingsClient.EmbeddingsError
  >
}>() {}

const HandbookLive = Layer.effect(
  Handbook,
  Effect.gen(function*() {
    const embeddings = yield* EmbeddingsClient.EmbeddingsClient
    const vectors = yield* embeddings.embedMany(handbook.map((entry) => entry.text), { inputType: "search_document" })
    return {
      search: (question, k) =>
        Effect.map(
          embeddings.embed(question, { inputType: "search_query" }),
          (query) =>
            Similarity.rank(query, handbook, (_, index) => vectors[index]!, k).map(({ item, score }) => ({
              ...item,
              score: Math.round(score * 1000) / 1000
            }))
        )
    }
  })
)

const SearchHandbook = Tool.make("search_handbook", {
  description: "Finds the handbook passages closest to a question",
  parameters: {
    question: Schema.String.annotations({ description: "The user's question, in their words" }),
    k: Schema.optional(Schema.Int.pipe(Schema.between(1, 5)))
  },
  success: Schema.Struct({
    passages: Schema.Array(Schema.Struct({ section: Schema.String, text: Schema.String, score: Schema.Number }))
  }),
  failure: Schema.Struct({ reason: Schema.String })
})

const toolkit = Toolkit.make(SearchHandbook)

const ToolsLive = toolkit.toLayer(Effect.gen(function*() {
  const handbook = yield* Handbook
  return {
    search_handbook: ({ question, k }) =>
      handbook.search(question, k ?? 3).pipe(
        Effect.map((passages) => ({ passages })),
        Effect.mapError((error) => ({ reason: error.message }))
      )
  }
})).pipe(Layer.provide(HandbookLive))

const assistant = Agent.make({
  name: "hr-assistant",
  instructions: "Answer questions about the employee handbook. Always call search_handbook first, then answer only " +
    "from the passages it returns and name their sections.",
  toolkit,
  limits: { maxSteps: 4, maxTokens: 16_000 }
})

const question = process.argv[2] ?? "How many vacation days do I get? Use search_handbook."

const program = Effect.gen(function*() {
  const result = yield* assistant.run(question, {
    onEvent: (event) =>
      event._tag === "ToolCall"
        ? Effect.sync(() => console.log(`[call] ${event.name} ${JSON.stringify(event.input)}`))
        : event._tag === "ToolResult"
        ? Effect.sync(() => console.log(`[${event.name}] ${JSON.stringify(event.result.content)}\n`))
        : Effect.void
  })
  console.log(result.text)
  console.log(
    `\n[${plural(result.steps.length, "step")}, ${plural(result.usage.totalTokens, "token")}, $${
      result.cost.toFixed(6)
    }]`
  )
})

const EmbeddingsLive = EmbeddingsClient.layer({ model: "amazon.titan-embed-text-v2:0" })

runMain(
  program.pipe(
    Effect.provide(ToolsLive),
    Effect.provide(EmbeddingsLive),
    Effect.provide(ClientLive)
  )
)
