/**
 * Ranks documents by similarity to a query: the documents and the query are embedded with `EmbeddingsClient` (one
 * batched, deduplicated, cached pass) and ordered with `Similarity.rank`. Runs against the embedded emulator unless
 * AWS credentials and a region are configured; `BEDROCK_EMBEDDING_MODEL_ID` picks the model (Titan v2 by default;
 * `cohere.embed-english-v3` embeds all documents in one call).
 *
 *   npx tsx examples/embeddings-rank.ts "how do I keep my cat healthy?"
 */
import { EmbeddingsClient, Similarity } from "bedrock-llm"
import { Console, Effect, Layer } from "effect"
import { runMain, RuntimeLive } from "./live.js"
import { plural } from "./plural.js"

const documents = [
  "Cats need fresh water, a balanced diet and a yearly visit to the vet to stay healthy.",
  "The stock market closed higher after the central bank held interest rates steady.",
  "A good sourdough starts with a lively starter, strong flour and a long, cool fermentation.",
  "Regular play and brushing keep indoor cats fit and their coats healthy.",
  "The city council approved a new cycling lane along the river.",
  "Dogs benefit from daily walks, and puppies need their vaccinations on schedule."
]

const query = process.argv[2] ?? "how do I keep my cat healthy?"

const program = Effect.gen(function*() {
  const client = yield* EmbeddingsClient.EmbeddingsClient
  const vectors = yield* client.embedMany(documents, { inputType: "search_document" })
  const target = yield* client.embed(query, { inputType: "search_query" })
  const ranked = Similarity.rank(target, documents, (_, index) => vectors[index]!)
  yield* Console.log(`query: ${query}\nmodel: ${client.model.modelId}\n`)
  for (const [place, { item, score }] of ranked.entries()) {
    yield* Console.log(`${place + 1}. ${score.toFixed(3)}  ${item}`)
  }
  const stats = yield* client.stats
  yield* Console.log(`\n[${plural(stats.requests, "request")}, ${plural(stats.textsSent, "text")} sent]`)
})

const EmbeddingsLive = EmbeddingsClient.layer({
  model: process.env["BEDROCK_EMBEDDING_MODEL_ID"] ?? "amazon.titan-embed-text-v2:0"
}).pipe(Layer.provide(RuntimeLive))

runMain(program.pipe(Effect.provide(EmbeddingsLive)))
