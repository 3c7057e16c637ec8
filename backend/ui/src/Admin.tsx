/**
 * The admin console (the admin key only): keys (create, showing the secret once with a copy button; list; edit
 * limits and allowed models; revoke) and usage (requests, tokens and cost per day, per key and per model over a
 * chosen range, and the month's spend against each budget).
 */
import { useEffect, useState } from "preact/hooks"
import { BudgetMeter, CategoryBars, type Datum, DayColumns } from "./Charts.js"
import { FailureNote, Field, Header, NumberField, useStoredKey } from "./common.js"
import { count, usdShort, utcDay } from "./format.js"
import { type Failure, failureOfThrown, json } from "./http.js"

const apis = ["openai", "anthropic", "bedrock", "agents"] as const

interface KeyView {
  readonly id: string
  readonly name: string
  readonly hint: string
  readonly status: "active" | "revoked" | "expired"
  readonly allowedModels: ReadonlyArray<string>
  readonly allowedApis: ReadonlyArray<string>
  readonly rpm?: number
  readonly tpm?: number
  readonly monthlyBudgetUsd?: number
}

interface UsageRow {
  readonly keyId: string
  readonly modelId: string
  readonly day: string
  readonly requests: number
  readonly inputTokens: number
  readonly outputTokens: number
  readonly costUsd: number
}

interface Limits {
  readonly models: string
  readonly rpm: string
  readonly tpm: string
  readonly budget: string
}

const patterns = (text: string) => text.split(",").map((pattern) => pattern.trim()).filter((pattern) => pattern !== "")
const positive = (text: string) => text.trim() === "" ? undefined : Number(text)

const limitsOf = (key: KeyView): Limits => ({
  models: key.allowedModels.join(", "),
  rpm: key.rpm?.toString() ?? "",
  tpm: key.tpm?.toString() ?? "",
  budget: key.monthlyBudgetUsd?.toString() ?? ""
})

const LimitFields = (
  props: { readonly prefix: string; readonly value: Limits; readonly onChange: (value: Limits) => void }
) => (
  <>
    <Field id={`${props.prefix}-models`} label="Allowed models">
      <input
        id={`${props.prefix}-models`}
        aria-describedby={`${props.prefix}-models-hint`}
        value={props.value.models}
        onInput={(event) => props.onChange({ ...props.value, models: event.currentTarget.value })}
      />
      <span id={`${props.prefix}-models-hint`} class="hint">comma-separated; * matches any characters</span>
    </Field>
    <NumberField
      id={`${props.prefix}-rpm`}
      label="Requests per minute"
      min={1}
      value={props.value.rpm}
      onInput={(rpm) => props.onChange({ ...props.value, rpm })}
    />
    <NumberField
      id={`${props.prefix}-tpm`}
      label="Tokens per minute"
      min={1}
      value={props.value.tpm}
      onInput={(tpm) => props.onChange({ ...props.value, tpm })}
    />
    <NumberField
      id={`${props.prefix}-budget`}
      label="Monthly budget (USD)"
      min={0}
      step="any"
      value={props.value.budget}
      onInput={(budget) => props.onChange({ ...props.value, budget })}
    />
  </>
)

const CreatedSecret = (props: { readonly name: string; readonly secret: string; readonly onClose: () => void }) => {
  const [copied, setCopied] = useState(false)
  return (
    <div class="secret" role="status">
      <p>
        <strong>Key “{props.name}” created.</strong> Copy its secret now: it is shown this once.
      </p>
      <code data-testid="secret">{props.secret}</code>
      <button
        type="button"
        onClick={() => navigator.clipboard.writeText(props.secret).then(() => setCopied(true), () => setCopied(false))}
      >
        {copied ? "Copied" : "Copy"}
      </button>
      <button type="button" class="secondary" onClick={props.onClose}>Done</button>
    </div>
  )
}

const KeyRow = (props: {
  readonly item: KeyView
  readonly spent: number | undefined
  readonly onSave: (id: string, limits: Limits) => Promise<void>
  readonly onRevoke: (id: string) => Promise<void>
}) => {
  const { item } = props
  const [editing, setEditing] = useState<Limits | undefined>(undefined)
  const [confirming, setConfirming] = useState(false)
  return (
    <>
      <tr data-key={item.id}>
        <th scope="row">
          {item.name}
          <div class="muted">{item.id} · {item.hint}</div>
        </th>
        <td>
          <span class={`status ${item.status}`}>{item.status}</span>
        </td>
        <td>{item.allowedModels.join(", ")}</td>
        <td>{item.allowedApis.join(", ")}</td>
        <td>{item.rpm ?? "–"} / {item.tpm ?? "–"}</td>
        <td>
          {item.monthlyBudgetUsd === undefined ? "none" : usdShort(item.monthlyBudgetUsd)}
          {props.spent === undefined ? null : <div class="muted">spent {usdShort(props.spent)}</div>}
        </td>
        <td>
          {item.status === "revoked" ? null : (
            <div class="row-actions">
              <button
                type="button"
                class="secondary"
                aria-label={`Edit ${item.name}`}
                aria-expanded={editing !== undefined}
                onClick={() => setEditing(editing === undefined ? limitsOf(item) : undefined)}
              >
                Edit
              </button>
              {confirming
                ? (
                  <button
                    type="button"
                    class="danger"
                    aria-label={`Confirm revoke ${item.name}`}
                    onClick={() => props.onRevoke(item.id)}
                  >
                    Confirm revoke
                  </button>
                )
                : (
                  <button
                    type="button"
                    class="secondary"
                    aria-label={`Revoke ${item.name}`}
                    onClick={() => setConfirming(true)}
                  >
                    Revoke
                  </button>
                )}
            </div>
          )}
        </td>
      </tr>
      {editing === undefined ? null : (
        <tr class="editing">
          <td colSpan={7}>
            <form
              class="inline-form"
              aria-label={`Limits of ${item.name}`}
              onSubmit={(event) => {
                event.preventDefault()
                void props.onSave(item.id, editing).then(() => setEditing(undefined))
              }}
            >
              <LimitFields prefix={`edit-${item.id}`} value={editing} onChange={setEditing} />
              <p class="muted">An empty limit removes it.</p>
              <button type="submit">Save</button>
            </form>
          </td>
        </tr>
      )}
    </>
  )
}

const sumBy = (
  rows: ReadonlyArray<UsageRow>,
  by: (row: UsageRow) => string,
  value: (row: UsageRow) => number
): Array<Datum> => {
  const sums = new Map<string, number>()
  for (const row of rows) sums.set(by(row), (sums.get(by(row)) ?? 0) + value(row))
  return [...sums].map(([label, total]) => ({ label, value: total }))
}

const daysBetween = (from: string, to: string): Array<string> => {
  const days: Array<string> = []
  for (
    let at = Date.parse(`${from}T00:00:00Z`);
    at <= Date.parse(`${to}T00:00:00Z`) && days.length < 366;
    at += 86_400_000
  ) {
    days.push(new Date(at).toISOString().slice(0, 10))
  }
  return days
}

const perDay = (
  rows: ReadonlyArray<UsageRow>,
  days: ReadonlyArray<string>,
  value: (row: UsageRow) => number
): Array<Datum> => {
  const sums = new Map(sumBy(rows, (row) => row.day, value).map((datum) => [datum.label, datum.value]))
  return days.map((day) => ({ label: day, value: sums.get(day) ?? 0 }))
}

const Usage = (
  props: {
    readonly adminKey: string
    readonly keys: ReadonlyArray<KeyView>
    readonly spent: ReadonlyMap<string, number>
    readonly version: number
  }
) => {
  const [from, setFrom] = useState(utcDay(-13))
  const [to, setTo] = useState(utcDay())
  const [rows, setRows] = useState<ReadonlyArray<UsageRow>>([])
  const [failure, setFailure] = useState<Failure | undefined>(undefined)
  const load = () =>
    json<{ rows: ReadonlyArray<UsageRow> }>(`/admin/usage?from=${from}&to=${to}`, { key: props.adminKey }).then(
      (report) => {
        setRows(report.rows)
        setFailure(undefined)
      },
      (error) => setFailure(failureOfThrown(error))
    )
  useEffect(() => void load(), [props.adminKey, props.version])
  const days = daysBetween(from, to)
  const nameOf = new Map(props.keys.map((key) => [key.id, key.name]))
  const keyLabel = (row: UsageRow) => nameOf.get(row.keyId) ?? row.keyId
  const budgets = props.keys.filter((key) => key.monthlyBudgetUsd !== undefined && key.status === "active")
  return (
    <section aria-labelledby="usage-title">
      <h2 id="usage-title">Usage</h2>
      <form
        class="inline-form"
        aria-label="Usage range"
        onSubmit={(event) => {
          event.preventDefault()
          void load()
        }}
      >
        <Field id="from" label="From (UTC)">
          <input id="from" type="date" value={from} max={to} onInput={(event) => setFrom(event.currentTarget.value)} />
        </Field>
        <Field id="to" label="To (UTC)">
          <input id="to" type="date" value={to} min={from} onInput={(event) => setTo(event.currentTarget.value)} />
        </Field>
        <button type="submit">Show</button>
      </form>
      {failure === undefined ? null : <FailureNote failure={failure} />}
      <div class="charts">
        <DayColumns
          id="requests-per-day"
          title="Requests per day"
          data={perDay(rows, days, (row) => row.requests)}
          format={count}
        />
        <DayColumns
          id="tokens-per-day"
          title="Tokens per day (input + output)"
          data={perDay(rows, days, (row) => row.inputTokens + row.outputTokens)}
          format={count}
        />
        <DayColumns
          id="cost-per-day"
          title="Cost per day (USD)"
          data={perDay(rows, days, (row) => row.costUsd)}
          format={usdShort}
        />
        <CategoryBars
          id="requests-per-key"
          title="Requests per key"
          data={sumBy(rows, keyLabel, (row) => row.requests)}
          format={count}
        />
        <CategoryBars
          id="cost-per-key"
          title="Cost per key (USD)"
          data={sumBy(rows, keyLabel, (row) => row.costUsd)}
          format={usdShort}
        />
        <CategoryBars
          id="requests-per-model"
          title="Requests per model"
          data={sumBy(rows, (row) => row.modelId, (row) => row.requests)}
          format={count}
        />
        <CategoryBars
          id="tokens-per-model"
          title="Tokens per model"
          data={sumBy(rows, (row) => row.modelId, (row) => row.inputTokens + row.outputTokens)}
          format={count}
        />
      </div>
      <h3>This month's spend against each budget</h3>
      {budgets.length === 0 ?
        <p class="muted">No active key has a budget.</p> :
        budgets.map((key) => (
          <BudgetMeter
            key={key.id}
            label={key.name}
            spent={props.spent.get(key.id) ?? 0}
            budget={key.monthlyBudgetUsd!}
            format={usdShort}
          />
        ))}
    </section>
  )
}

const emptyLimits: Limits = { models: "*", rpm: "", tpm: "", budget: "" }

export const Admin = () => {
  const [adminKey, setAdminKey] = useStoredKey("bllm.adminKey")
  const [keys, setKeys] = useState<ReadonlyArray<KeyView>>([])
  const [spent, setSpent] = useState<ReadonlyMap<string, number>>(new Map())
  const [failure, setFailure] = useState<Failure | undefined>(undefined)
  const [name, setName] = useState("")
  const [limits, setLimits] = useState<Limits>(emptyLimits)
  const [allowed, setAllowed] = useState<ReadonlyArray<string>>(apis)
  const [created, setCreated] = useState<{ name: string; secret: string } | undefined>(undefined)
  const [version, setVersion] = useState(0)

  const guard = (work: () => Promise<unknown>) =>
    work().then(() => setFailure(undefined), (error) => {
      setFailure(failureOfThrown(error))
      throw error
    })

  const refresh = async () => {
    const list = await json<{ keys: ReadonlyArray<KeyView> }>("/admin/keys", { key: adminKey })
    setKeys(list.keys)
    const months = await Promise.all(
      list.keys.filter((key) => key.monthlyBudgetUsd !== undefined).map((key) =>
        json<{ month: { spentUsd: number } }>(`/admin/keys/${key.id}`, { key: adminKey }).then((view) =>
          [key.id, view.month.spentUsd] as const
        )
      )
    )
    setSpent(new Map(months))
    setVersion((current) => current + 1)
  }

  useEffect(() => {
    if (adminKey !== "") void guard(refresh).catch(() => setKeys([]))
  }, [adminKey])

  const body = (value: Limits) => ({
    allowedModels: patterns(value.models),
    rpm: positive(value.rpm) ?? null,
    tpm: positive(value.tpm) ?? null,
    monthlyBudgetUsd: positive(value.budget) ?? null
  })

  const create = () =>
    guard(async () => {
      const { rpm, tpm, monthlyBudgetUsd, allowedModels } = body(limits)
      const answer = await json<{ key: KeyView; secret: string }>("/admin/keys", {
        key: adminKey,
        body: {
          name,
          allowedModels,
          allowedApis: allowed,
          ...(rpm === null ? {} : { rpm }),
          ...(tpm === null ? {} : { tpm }),
          ...(monthlyBudgetUsd === null ? {} : { monthlyBudgetUsd })
        }
      })
      setCreated({ name: answer.key.name, secret: answer.secret })
      setName("")
      setLimits(emptyLimits)
      await refresh()
    })

  return (
    <>
      <Header
        title="Admin console"
        other={{ href: "/playground", label: "Playground" }}
        keyLabel="Admin key"
        keyValue={adminKey}
        onKey={setAdminKey}
      />
      <main class="admin">
        {adminKey === "" ? <p class="muted">Enter the admin key above.</p> : null}
        {failure === undefined ? null : <FailureNote failure={failure} />}
        <section aria-labelledby="keys-title">
          <h2 id="keys-title">Keys</h2>
          {created === undefined ? null : <CreatedSecret {...created} onClose={() => setCreated(undefined)} />}
          <form
            class="inline-form create"
            aria-label="New key"
            onSubmit={(event) => {
              event.preventDefault()
              void create().catch(() => undefined)
            }}
          >
            <Field id="new-name" label="Name">
              <input
                id="new-name"
                required
                maxLength={200}
                value={name}
                onInput={(event) => setName(event.currentTarget.value)}
              />
            </Field>
            <LimitFields prefix="new" value={limits} onChange={setLimits} />
            <fieldset>
              <legend>APIs</legend>
              {apis.map((api) => (
                <label key={api} class="check">
                  <input
                    type="checkbox"
                    checked={allowed.includes(api)}
                    onChange={(event) =>
                      setAllowed(
                        event.currentTarget.checked ? [...allowed, api] : allowed.filter((other) => other !== api)
                      )}
                  />
                  {api}
                </label>
              ))}
            </fieldset>
            <button type="submit" disabled={adminKey === ""}>Create key</button>
          </form>
          <div class="table-scroll">
            <table class="keys">
              <thead>
                <tr>
                  <th scope="col">Key</th>
                  <th scope="col">Status</th>
                  <th scope="col">Models</th>
                  <th scope="col">APIs</th>
                  <th scope="col">RPM / TPM</th>
                  <th scope="col">Budget</th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {keys.map((item) => (
                  <KeyRow
                    key={item.id}
                    item={item}
                    spent={spent.get(item.id)}
                    onSave={(id, value) =>
                      guard(() =>
                        json(`/admin/keys/${id}`, { key: adminKey, method: "PATCH", body: body(value) }).then(refresh)
                      )}
                    onRevoke={(id) =>
                      guard(() => json(`/admin/keys/${id}/revoke`, { key: adminKey, method: "POST" }).then(refresh))}
                  />
                ))}
              </tbody>
            </table>
          </div>
        </section>
        {adminKey === "" ? null : <Usage adminKey={adminKey} keys={keys} spent={spent} version={version} />}
      </main>
    </>
  )
}
