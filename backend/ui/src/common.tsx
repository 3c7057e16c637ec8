/** Pieces both pages use: the page header with its key form, and a refusal shown for what it is. */
import type { ComponentChildren } from "preact"
import { useState } from "preact/hooks"
import { stored } from "./format.js"
import { describe, type Failure } from "./http.js"

/** The header: the page's name, a link to the other page, and the key form. */
export const Header = (props: {
  readonly title: string
  readonly other: { readonly href: string; readonly label: string }
  readonly keyLabel: string
  readonly keyValue: string
  readonly onKey: (key: string) => void
}) => {
  const [draft, setDraft] = useState(props.keyValue)
  return (
    <header class="top">
      <h1>{props.title}</h1>
      <a href={props.other.href}>{props.other.label}</a>
      <form
        class="key-form"
        onSubmit={(event) => {
          event.preventDefault()
          props.onKey(draft.trim())
        }}
      >
        <label for="api-key">{props.keyLabel}</label>
        <input
          id="api-key"
          type="password"
          autocomplete="off"
          spellcheck={false}
          placeholder="sk-bllm-..."
          value={draft}
          onInput={(event) => setDraft(event.currentTarget.value)}
        />
        <button type="submit">Connect</button>
      </form>
    </header>
  )
}

/** A refusal: its kind as the title (invalid key, not allowed, rate limited, budget exhausted...), then what it said. */
export const FailureNote = (props: { readonly failure: Failure }) => {
  const { title, detail } = describe(props.failure)
  return (
    <div class="failure" role="alert" data-status={props.failure.status}>
      <strong>{title}</strong> <span>{detail}</span>
    </div>
  )
}

/** A labelled field: the label above its control. */
export const Field = (props: { readonly id: string; readonly label: string; readonly children: ComponentChildren }) => (
  <div class="field">
    <label for={props.id}>{props.label}</label>
    {props.children}
  </div>
)

/** A labelled number input; its value stays text (empty: none). */
export const NumberField = (props: {
  readonly id: string
  readonly label: string
  readonly value: string
  readonly onInput: (value: string) => void
  readonly min: number
  readonly max?: number
  readonly step?: number | "any"
}) => (
  <Field id={props.id} label={props.label}>
    <input
      id={props.id}
      type="number"
      min={props.min}
      max={props.max}
      step={props.step}
      value={props.value}
      onInput={(event) => props.onInput(event.currentTarget.value)}
    />
  </Field>
)

/** A key kept in `localStorage` under `name`: its value, and a setter that stores it. */
export const useStoredKey = (name: string): readonly [string, (key: string) => void] => {
  const [key, setKey] = useState(stored.get(name))
  return [key, (next: string) => {
    stored.set(name, next)
    setKey(next)
  }]
}
