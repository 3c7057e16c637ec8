/**
 * The gateway's agents over plain HTTP: a JSON run of the calculator agent, the same conversation continued, a
 * streamed run of the docs agent (Server-Sent Events printed as they arrive), and the stored conversation.
 *
 *   npm run serve                        # prints a user key
 *   BACKEND_KEY=sk-bllm-... npm run example backend/examples/agent-run.ts
 */
const url = process.env["BACKEND_URL"] ?? "http://127.0.0.1:8080"
const key = process.env["BACKEND_KEY"]
if (key === undefined) throw new Error("Set BACKEND_KEY to a gateway key (npm run serve prints one).")
const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" }

interface RunResult {
  readonly conversation_id: string
  readonly output: string
  readonly steps: ReadonlyArray<
    { readonly tool_calls: ReadonlyArray<{ readonly name: string; readonly result: unknown }> }
  >
  readonly usage: Record<string, number>
  readonly cost_usd: number
}

const run = async (agent: string, body: Record<string, unknown>) => {
  const response = await fetch(`${url}/v1/agents/${agent}/runs`, {
    method: "POST",
    headers,
    body: JSON.stringify(body)
  })
  if (!response.ok) throw new Error(`${response.status}: ${await response.text()}`)
  return response
}

const first = await (await run("calculator", { input: "Calculate the expression: (17 + 25) * 3" })).json() as RunResult
console.log("calculator:", first.output)
console.log(
  "  tool calls:",
  first.steps.flatMap((step) => step.tool_calls.map((call) => [call.name, call.result]))
)
console.log("  usage:", first.usage, "cost (USD):", first.cost_usd)

const second = await (await run("calculator", {
  input: "Now calculate the expression: sqrt(144)",
  conversation_id: first.conversation_id
})).json() as RunResult
console.log("same conversation:", second.output)

const streamed = await run("docs", { input: "Search docs for the query: revocation delay", stream: true })
const decoder = new TextDecoder()
let buffer = ""
for await (const chunk of streamed.body!) {
  buffer += decoder.decode(chunk, { stream: true })
  let end: number
  while ((end = buffer.indexOf("\n\n")) >= 0) {
    const frame = buffer.slice(0, end)
    buffer = buffer.slice(end + 2)
    const name = /^event: (.+)$/m.exec(frame)?.[1]
    const data = /^data: (.+)$/m.exec(frame)?.[1]
    if (name === undefined || data === undefined) continue
    const event = JSON.parse(data)
    if (name === "text.delta") process.stdout.write(event.text)
    else if (name === "tool.call") console.log(`[tool.call ${event.name} ${JSON.stringify(event.input)}]`)
    else if (name === "tool.result") console.log(`[tool.result ${event.name}: ${event.outcome}]`)
    else if (name === "run.completed") console.log(`\n[run.completed: ${event.steps.length} steps, $${event.cost_usd}]`)
    else console.log(`[${name}]`)
  }
}

const conversation = await (await fetch(`${url}/v1/conversations/${first.conversation_id}`, { headers })).json() as {
  readonly messages: ReadonlyArray<unknown>
}
console.log("stored conversation:", conversation.messages.length, "messages")
