/** The playground's conversation: each turn, an agent's steps, and usage and cost under every answer. */
import { FailureNote } from "./common.js"
import { count, usd } from "./format.js"
import type { AnswerTurn, Step, ToolCall, Turn, Usage } from "./runs.js"

const UsageLine = (
  props: { readonly usage: Usage | undefined; readonly cost: number | undefined; readonly label: string }
) =>
  props.usage === undefined ? null : (
    <p class="usage" data-testid="usage">
      {props.label}: <span data-input={props.usage.input}>{count(props.usage.input)} in</span>
      {" · "}
      <span data-output={props.usage.output}>{count(props.usage.output)} out</span>
      {props.usage.cacheRead > 0 ? ` · ${count(props.usage.cacheRead)} cached` : null}
      {props.cost === undefined ? null : (
        <>
          {" · "}
          <span data-cost={props.cost}>{usd(props.cost)}</span>
        </>
      )}
    </p>
  )

const json = (value: unknown): string => typeof value === "string" ? value : JSON.stringify(value, null, 2)

const ToolCallView = (props: { readonly call: ToolCall }) => (
  <li class="tool-call" data-tool={props.call.name}>
    <div>
      <span class="badge">tool call</span> <code>{props.call.name}</code>
    </div>
    <pre aria-label={`input of ${props.call.name}`}>{json(props.call.input)}</pre>
    {props.call.result === undefined ? <p class="muted">running...</p> : (
      <div class="tool-result">
        <span class={props.call.outcome === undefined || props.call.outcome === "Success" ? "badge ok" : "badge bad"}>
          result{props.call.outcome === undefined ? "" : `: ${props.call.outcome}`}
        </span>
        <pre aria-label={`result of ${props.call.name}`}>{json(props.call.result)}</pre>
      </div>
    )}
  </li>
)

const StepView = (props: { readonly step: Step; readonly answered: boolean }) => (
  <li class="step">
    <h3>
      Step {props.step.step}
      {props.step.attempt > 1 ? <span class="badge warn">replay, attempt {props.step.attempt}</span> : null}
    </h3>
    {props.step.retries.map((retry, index) => <p key={index} class="badge warn">retry: {retry}</p>)}
    {props.step.text === "" ? null : <p class="text">{props.step.text}</p>}
    {props.answered ? <p class="muted">wrote the answer below</p> : null}
    {props.step.calls.length === 0
      ? null
      : <ul class="tool-calls">{props.step.calls.map((call) => <ToolCallView key={call.id} call={call} />)}</ul>}
    <UsageLine usage={props.step.usage} cost={props.step.cost} label="step" />
  </li>
)

const Answer = (props: { readonly turn: AnswerTurn }) => {
  const { turn } = props
  // An agent's last step is its answer: shown once, as the answer.
  const steps =
    turn.done && turn.text !== "" && turn.steps.length > 0 && turn.steps[turn.steps.length - 1]!.calls.length === 0
      ? turn.steps.map((step, index) => index === turn.steps.length - 1 ? { ...step, text: "" } : step)
      : turn.steps
  const live = turn.steps.length === 0 ? turn.text : ""
  return (
    <article class="turn answer" aria-busy={!turn.done} data-done={turn.done}>
      <header class="who">{turn.source}</header>
      {turn.reasoning === "" ? null : (
        <details class="reasoning">
          <summary>Reasoning</summary>
          <p class="text">{turn.reasoning}</p>
        </details>
      )}
      {steps.length === 0
        ? null
        : (
          <ol class="steps">
            {steps.map((step) => (
              <StepView
                key={step.step}
                step={step}
                answered={step.text === "" && step.calls.length === 0 && turn.done}
              />
            ))}
          </ol>
        )}
      {turn.steps.length > 0 && turn.done && turn.text !== ""
        ? <p class="text final" data-testid="answer">{turn.text}</p>
        : live === ""
        ? null
        : <p class="text" data-testid="answer">{live}</p>}
      {turn.stopped
        ? (
          <p>
            <span class="badge warn">stopped</span>
            <span class="muted">the gateway aborted the call and settles what it used</span>
          </p>
        )
        : null}
      {turn.failure === undefined ? null : <FailureNote failure={turn.failure} />}
      <UsageLine usage={turn.usage} cost={turn.cost} label="usage" />
    </article>
  )
}

export const Transcript = (props: { readonly turns: ReadonlyArray<Turn> }) => (
  <div class="transcript" aria-live="polite">
    {props.turns.map((turn, index) =>
      turn.kind === "user"
        ? (
          <article key={index} class="turn user">
            <header class="who">you</header>
            {turn.text === "" ? null : <p class="text">{turn.text}</p>}
            {turn.images.map((url, image) => <img key={image} src={url} alt={`attached image ${image + 1}`} />)}
          </article>
        )
        : <Answer key={index} turn={turn} />
    )}
  </div>
)

export { UsageLine }
