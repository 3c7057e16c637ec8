/**
 * The playground: chat with any model the key may use (streamed, with a stop button), images by drag-and-drop or
 * file picker, agent runs step by step, usage and cost under every answer and for the conversation, and the key's
 * saved conversations (kept by the agents' conversation API) to reopen.
 */
import { useEffect, useRef, useState } from "preact/hooks"
import { FailureNote, Field, Header, NumberField, useStoredKey } from "./common.js"
import { count, usd } from "./format.js"
import { type Failure, failureOfThrown, json } from "./http.js"
import {
  addUsage,
  type AnswerTurn,
  type Prices,
  streamChat,
  streamRun,
  type Turn,
  turnsOfConversation
} from "./runs.js"
import { Transcript } from "./Transcript.js"

interface ModelJson {
  readonly id: string
  readonly display_name: string
  readonly max_output_tokens: number
  readonly alias: boolean
}

interface AgentJson {
  readonly name: string
  readonly description: string | null
  readonly model: string
}

const readImage = (file: File): Promise<string> =>
  new Promise((resolve, reject) => {
    const reader = new FileReader()
    reader.onload = () => resolve(String(reader.result))
    reader.onerror = () => reject(reader.error)
    reader.readAsDataURL(file)
  })

const numberOrUndefined = (text: string): number | undefined => text.trim() === "" ? undefined : Number(text)

const totalsOf = (turns: ReadonlyArray<Turn>) => {
  let usage = { input: 0, output: 0, cacheRead: 0 }
  let cost = 0
  let answers = 0
  for (const turn of turns) {
    if (turn.kind !== "answer" || turn.usage === undefined) continue
    answers++
    usage = addUsage(usage, turn.usage)
    cost += turn.cost ?? 0
  }
  return { usage, cost, answers }
}

export const Playground = () => {
  const [key, setKey] = useStoredKey("bllm.key")
  const [models, setModels] = useState<ReadonlyArray<ModelJson>>([])
  const [agents, setAgents] = useState<ReadonlyArray<AgentJson>>([])
  const [conversations, setConversations] = useState<ReadonlyArray<string>>([])
  const [loadFailure, setLoadFailure] = useState<Failure | undefined>(undefined)
  const [agent, setAgent] = useState("")
  const [model, setModel] = useState("")
  const [system, setSystem] = useState("")
  const [temperature, setTemperature] = useState("0.7")
  const [maxTokens, setMaxTokens] = useState("1024")
  const [turns, setTurns] = useState<ReadonlyArray<Turn>>([])
  const [draft, setDraft] = useState("")
  const [images, setImages] = useState<ReadonlyArray<string>>([])
  const [busy, setBusy] = useState(false)
  const [conversationId, setConversationId] = useState<string | undefined>(undefined)
  const [dragging, setDragging] = useState(false)
  const controller = useRef<AbortController | undefined>(undefined)
  const prices = useRef(new Map<string, Prices>())

  const refreshConversations = (secret: string) =>
    json<{ conversations: ReadonlyArray<{ id: string }> }>("/v1/conversations", { key: secret }).then(
      (list) => setConversations(list.conversations.map((conversation) => conversation.id)),
      () => setConversations([])
    )

  useEffect(() => {
    if (key === "") return
    setLoadFailure(undefined)
    json<{ data: ReadonlyArray<ModelJson> }>("/v1/models", { key }).then((list) => {
      setModels(list.data)
      setModel((current) => list.data.some((entry) => entry.id === current) ? current : list.data[0]?.id ?? "")
    }, (error) => {
      setModels([])
      setModel("")
      setLoadFailure(failureOfThrown(error))
    })
    json<{ agents: ReadonlyArray<AgentJson> }>("/v1/agents", { key }).then(
      (list) => setAgents(list.agents),
      () => setAgents([])
    )
    void refreshConversations(key)
  }, [key])

  const priceOf = async (id: string): Promise<Prices | undefined> => {
    const known = prices.current.get(id)
    if (known !== undefined) return known
    const response = await fetch(`/playground/prices?model=${encodeURIComponent(id)}`)
    if (!response.ok) return undefined
    const found = ((await response.json()) as { perMillionUsd: Prices }).perMillionUsd
    prices.current.set(id, found)
    return found
  }

  const attach = async (files: Iterable<File>) => {
    const chosen = [...files].filter((file) => file.type.startsWith("image/"))
    const urls = await Promise.all(chosen.map(readImage))
    setImages((current) => [...current, ...urls])
  }

  const send = async () => {
    const text = draft.trim()
    if (busy || (text === "" && images.length === 0) || key === "" || (agent === "" && model === "")) return
    const user: Turn = { kind: "user", text, images: agent === "" ? images : [] }
    const history = [...turns, user]
    setTurns(history)
    setDraft("")
    setImages([])
    setBusy(true)
    const abort = new AbortController()
    controller.current = abort
    const emit = (answer: AnswerTurn) => setTurns([...history, answer])
    if (agent === "") {
      await streamChat({
        key,
        model,
        system,
        temperature: numberOrUndefined(temperature),
        maxTokens: numberOrUndefined(maxTokens),
        history,
        prices: await priceOf(model).catch(() => undefined),
        signal: abort.signal,
        emit
      })
    } else {
      await streamRun({
        key,
        agent,
        input: text,
        conversationId,
        signal: abort.signal,
        emit,
        onConversation: setConversationId
      })
      void refreshConversations(key)
    }
    controller.current = undefined
    setBusy(false)
  }

  const reopen = async (id: string) => {
    try {
      const conversation = await json<{ messages: ReadonlyArray<unknown> }>(
        `/v1/conversations/${encodeURIComponent(id)}`,
        {
          key
        }
      )
      setTurns(turnsOfConversation(conversation.messages))
      setConversationId(id)
      if (agent === "" && agents[0] !== undefined) setAgent(agents[0].name)
    } catch (error) {
      setLoadFailure(failureOfThrown(error))
    }
  }

  const fresh = () => {
    setTurns([])
    setConversationId(undefined)
  }

  const totals = totalsOf(turns)
  const chosenAgent = agents.find((entry) => entry.name === agent)

  return (
    <>
      <Header
        title="Playground"
        other={{ href: "/admin", label: "Admin console" }}
        keyLabel="API key"
        keyValue={key}
        onKey={setKey}
      />
      <div class="layout">
        <aside class="panel" aria-label="Settings">
          <Field id="mode" label="Chat or agent">
            <select id="mode" value={agent} onChange={(event) => setAgent(event.currentTarget.value)}>
              <option value="">Chat with a model</option>
              {agents.map((entry) => <option key={entry.name} value={entry.name}>Agent: {entry.name}</option>)}
            </select>
          </Field>
          {chosenAgent === undefined
            ? (
              <>
                <Field id="model" label="Model">
                  <select id="model" value={model} onChange={(event) => setModel(event.currentTarget.value)}>
                    {models.map((entry) => (
                      <option key={entry.id} value={entry.id}>
                        {entry.alias ? `${entry.id} (alias)` : entry.display_name}
                      </option>
                    ))}
                  </select>
                  {model === "" ? null : <code class="muted model-id">{model}</code>}
                </Field>
                <Field id="system" label="System prompt">
                  <textarea
                    id="system"
                    rows={4}
                    value={system}
                    onInput={(event) => setSystem(event.currentTarget.value)}
                  />
                </Field>
                <NumberField
                  id="temperature"
                  label="Temperature"
                  min={0}
                  max={1}
                  step={0.1}
                  value={temperature}
                  onInput={setTemperature}
                />
                <NumberField
                  id="max-tokens"
                  label="Max tokens"
                  min={1}
                  step={1}
                  value={maxTokens}
                  onInput={setMaxTokens}
                />
              </>
            )
            : (
              <p class="muted">
                {chosenAgent.description ?? "An agent of this service."} It runs on <code>{chosenAgent.model}</code>.
              </p>
            )}
          <section aria-labelledby="saved-title" class="saved">
            <h2 id="saved-title">Saved conversations</h2>
            <button type="button" onClick={fresh}>New conversation</button>
            {conversations.length === 0 ? <p class="muted">Agent runs keep their conversations here.</p> : (
              <ul>
                {conversations.map((id) => (
                  <li key={id}>
                    <button type="button" class="link" aria-current={id === conversationId} onClick={() => reopen(id)}>
                      {id}
                    </button>
                  </li>
                ))}
              </ul>
            )}
          </section>
        </aside>
        <main class="chat">
          {key === "" ? <p class="muted">Enter a gateway key (sk-bllm-...) above to start.</p> : null}
          {loadFailure === undefined ? null : <FailureNote failure={loadFailure} />}
          <Transcript turns={turns} />
          {totals.answers === 0 ? null : (
            <p class="totals" data-testid="totals">
              Conversation: {totals.answers} answer{totals.answers === 1 ? "" : "s"} · {count(totals.usage.input)} in ·
              {" "}
              {count(totals.usage.output)} out · {usd(totals.cost)}
            </p>
          )}
          <form
            class={dragging ? "composer dragging" : "composer"}
            onSubmit={(event) => {
              event.preventDefault()
              void send()
            }}
            onDragOver={(event) => {
              event.preventDefault()
              setDragging(true)
            }}
            onDragLeave={() => setDragging(false)}
            onDrop={(event) => {
              event.preventDefault()
              setDragging(false)
              if (event.dataTransfer !== null) void attach(event.dataTransfer.files)
            }}
          >
            {images.length === 0 ? null : (
              <ul class="attachments" aria-label="Attached images">
                {images.map((url, index) => (
                  <li key={index}>
                    <img src={url} alt={`attachment ${index + 1}`} />
                    <button
                      type="button"
                      aria-label={`Remove attachment ${index + 1}`}
                      onClick={() => setImages(images.filter((_, other) => other !== index))}
                    >
                      ×
                    </button>
                  </li>
                ))}
              </ul>
            )}
            <label for="message">
              Message <span class="muted">(Enter sends, Shift+Enter adds a line; drop images here)</span>
            </label>
            <textarea
              id="message"
              rows={3}
              value={draft}
              onInput={(event) => setDraft(event.currentTarget.value)}
              onKeyDown={(event) => {
                if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
                  event.preventDefault()
                  void send()
                }
              }}
            />
            <div class="actions">
              <input
                id="attach"
                class="file"
                type="file"
                accept="image/png,image/jpeg,image/gif,image/webp"
                multiple
                disabled={agent !== ""}
                onChange={(event) => {
                  const files = event.currentTarget.files
                  if (files !== null) void attach(files)
                  event.currentTarget.value = ""
                }}
              />
              <label for="attach" class="button secondary" aria-disabled={agent !== ""}>
                Attach image
              </label>
              {agent === "" ? null : <span class="muted">Agents take text only.</span>}
              <span class="spacer" />
              {busy
                ? <button type="button" class="danger" onClick={() => controller.current?.abort()}>Stop</button>
                : null}
              <button type="submit" disabled={busy || key === "" || (agent === "" && model === "")}>Send</button>
            </div>
          </form>
        </main>
      </div>
    </>
  )
}
