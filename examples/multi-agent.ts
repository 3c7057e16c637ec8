/**
 * Two cooperating agents: a researcher that looks facts up in a small knowledge base, used as a tool by a writer
 * that turns the findings into a short text. Each agent has its own instructions, tools and limits; the writer's
 * events show the delegation.
 *
 *   npx tsx examples/multi-agent.ts
 */
import { Agent, Conversation, Tool, Toolkit } from "bedrock-llm"
import { Effect, Layer, Schema, Stream } from "effect"
import { run } from "./live.js"
import { plural } from "./plural.js"

const knowledge: ReadonlyArray<{ readonly subject: string; readonly fact: string }> = [
  { subject: "moon", fact: "The Moon is about 384,400 km from Earth and always shows the same face to it." },
  { subject: "moon", fact: "Twelve people walked on the Moon between 1969 and 1972." },
  { subject: "mars", fact: "Mars has the tallest known volcano in the solar system, Olympus Mons." },
  { subject: "otter", fact: "Sea otters hold hands while sleeping so that they do not drift apart." }
]

// --- the researcher: one tool over the knowledge base ----------------------------------------------------------

const Lookup = Tool.make("lookup", {
  description: "Finds facts in the knowledge base",
  parameters: { about: Schema.String.annotations({ description: "The subject, e.g. the Moon" }) },
  success: Schema.Struct({ facts: Schema.Array(Schema.String) }),
  failure: Schema.Struct({ reason: Schema.String, subjects: Schema.Array(Schema.String) })
})

const researchTools = Toolkit.make(Lookup)

const ResearchToolsLive = researchTools.toLayer({
  lookup: ({ about }) => {
    const words = about.toLowerCase().split(/\W+/)
    const facts = knowledge.filter((entry) => words.some((word) => word.startsWith(entry.subject)))
    return facts.length > 0
      ? Effect.succeed({ facts: facts.map((entry) => entry.fact) })
      : Effect.fail({
        reason: `nothing known about "${about}"`,
        subjects: [...new Set(knowledge.map((e) => e.subject))]
      })
  }
})

const researcher = Agent.make({
  name: "researcher",
  instructions: "You find facts with the lookup tool and report them verbatim, nothing else.",
  toolkit: researchTools,
  toolChoice: Conversation.toolChoiceTool("lookup"),
  limits: { maxSteps: 4, maxTokens: 8_000 }
})

// --- the writer: the researcher is one of its tools ------------------------------------------------------------

const Research = Agent.asTool(researcher, {
  name: "research",
  description: "Asks the researcher agent for facts on a subject; returns its findings",
  timeout: "1 minute"
})

const writerTools = Toolkit.make(Research)

const WriterToolsLive = writerTools.toLayer({ research: Research.handler }).pipe(Layer.provide(ResearchToolsLive))

const writer = Agent.make({
  name: "writer",
  instructions: "You write short, accurate paragraphs. Get facts with the research tool before writing.",
  toolkit: writerTools,
  limits: { maxSteps: 5, maxTokens: 20_000, deadline: "3 minutes" }
})

const program = Effect.gen(function*() {
  yield* writer.stream("Use research with task: facts about the Moon. Then write two sentences for children.").pipe(
    Stream.runForEach((event) => {
      switch (event._tag) {
        case "ToolCall":
          return Effect.sync(() => console.log(`writer -> ${event.name}: ${JSON.stringify(event.input)}`))
        case "ToolResult":
          return Effect.sync(() => console.log(`writer <- ${event.name} (${event.outcome._tag})`))
        case "Final":
          return Effect.sync(() => {
            console.log(`\n${event.result.text}\n`)
            for (const step of event.result.steps) {
              for (const call of step.toolCalls) console.log(`step ${step.index}: ${call.name} ->`, call.result.content)
            }
            console.log(`${plural(event.result.steps.length, "writer step")}, $${event.result.cost.toFixed(6)}`)
          })
        default:
          return Effect.void
      }
    })
  )
}).pipe(Effect.provide(WriterToolsLive))

run(program)
