/**
 * A client of the probe group's stream: opens `POST /probe/stream` and reads its text until a condition holds
 * (bounded), then aborts or finishes.
 */
const decoder = new TextDecoder()

export const openProbeStream = async (url: string, token: string, model: string, maxTokens: number) => {
  const abort = new AbortController()
  const response = await fetch(`${url}/probe/stream`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ model, prompt: "Tell me a long story about the sea.", maxTokens }),
    signal: abort.signal
  })
  const reader = response.body!.getReader()
  let text = ""
  const readUntil = async (until: (text: string) => boolean) => {
    for (let i = 0; i < 10_000 && !until(text); i++) {
      const { done, value } = await reader.read()
      if (done) break
      text += decoder.decode(value, { stream: true })
    }
    return text
  }
  return { response, readUntil, abort: () => abort.abort() }
}
