/**
 * Hand-written SVG charts: columns over days, bars per category, a meter of spend against a budget. Each is a
 * `figure` with a caption, an image label, a tooltip per bar, and the numbers as a visually hidden table.
 */

export interface Datum {
  readonly label: string
  readonly value: number
}

const DataTable = (
  props: { readonly caption: string; readonly data: ReadonlyArray<Datum>; readonly format: (value: number) => string }
) => (
  <table class="sr-only">
    <caption>{props.caption}</caption>
    <tbody>
      {props.data.map((datum) => (
        <tr key={datum.label}>
          <th scope="row">{datum.label}</th>
          <td>{props.format(datum.value)}</td>
        </tr>
      ))}
    </tbody>
  </table>
)

const niceMax = (values: ReadonlyArray<number>): number => {
  const max = Math.max(0, ...values)
  if (max === 0) return 1
  const magnitude = 10 ** Math.floor(Math.log10(max))
  return [1, 2, 5, 10].map((step) => step * magnitude).find((top) => top >= max)!
}

/** Columns, one per day (labels `YYYY-MM-DD`, shown as `MM-DD`). */
export const DayColumns = (props: {
  readonly id: string
  readonly title: string
  readonly data: ReadonlyArray<Datum>
  readonly format: (value: number) => string
}) => {
  const width = 420
  const height = 170
  const left = 72
  const bottom = 22
  const top = niceMax(props.data.map((datum) => datum.value))
  const slot = (width - left - 14) / Math.max(1, props.data.length)
  // Every few days, counted back from the last one, which is always labelled.
  const labelEvery = Math.ceil(props.data.length / 8)
  return (
    <figure class="chart" data-chart={props.id}>
      <figcaption>{props.title}</figcaption>
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`${props.title}, per day`}>
        <line class="axis" x1={left} x2={width} y1={height - bottom} y2={height - bottom} />
        <text class="tick" x={left - 6} y={12} text-anchor="end">{props.format(top)}</text>
        <text class="tick" x={left - 6} y={height - bottom} text-anchor="end">0</text>
        {props.data.map((datum, index) => {
          const barHeight = (datum.value / top) * (height - bottom - 8)
          const x = left + index * slot
          return (
            <g key={datum.label} data-day={datum.label} data-value={datum.value}>
              <rect
                class="bar"
                x={x + slot * 0.15}
                width={slot * 0.7}
                y={height - bottom - barHeight}
                height={barHeight}
              >
                <title>{`${datum.label}: ${props.format(datum.value)}`}</title>
              </rect>
              {(props.data.length - 1 - index) % labelEvery === 0
                ? <text class="tick" x={x + slot / 2} y={height - 6} text-anchor="middle">{datum.label.slice(5)}</text>
                : null}
            </g>
          )
        })}
      </svg>
      <DataTable caption={props.title} data={props.data} format={props.format} />
    </figure>
  )
}

/** Horizontal bars, one per category, largest first. */
export const CategoryBars = (props: {
  readonly id: string
  readonly title: string
  readonly data: ReadonlyArray<Datum>
  readonly format: (value: number) => string
}) => {
  const sorted = [...props.data].sort((a, b) => b.value - a.value)
  const top = Math.max(0, ...sorted.map((datum) => datum.value)) || 1
  const row = 24
  const width = 420
  const labelWidth = 150
  const valueWidth = 80
  const height = Math.max(row, sorted.length * row)
  return (
    <figure class="chart" data-chart={props.id}>
      <figcaption>{props.title}</figcaption>
      {sorted.length === 0 ?
        <p class="muted">No usage in this range.</p> :
        (
          <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={props.title}>
            {sorted.map((datum, index) => {
              const y = index * row
              const barWidth = (datum.value / top) * (width - labelWidth - valueWidth)
              return (
                <g key={datum.label} data-category={datum.label} data-value={datum.value}>
                  <text class="label" x={labelWidth - 8} y={y + 16} text-anchor="end">
                    <title>{datum.label}</title>
                    {datum.label.length > 20 ? `${datum.label.slice(0, 19)}…` : datum.label}
                  </text>
                  <rect class="bar" x={labelWidth} y={y + 4} width={barWidth} height={row - 8}>
                    <title>{`${datum.label}: ${props.format(datum.value)}`}</title>
                  </rect>
                  <text class="value" x={labelWidth + barWidth + 6} y={y + 16}>{props.format(datum.value)}</text>
                </g>
              )
            })}
          </svg>
        )}
      <DataTable caption={props.title} data={sorted} format={props.format} />
    </figure>
  )
}

/** A month's spend against a budget. */
export const BudgetMeter = (
  props: {
    readonly label: string
    readonly spent: number
    readonly budget: number
    readonly format: (value: number) => string
  }
) => {
  const share = props.budget === 0 ? 1 : Math.min(1, props.spent / props.budget)
  return (
    <div class="budget">
      <span class="budget-label">{props.label}</span>
      <meter
        min={0}
        max={props.budget}
        value={props.spent}
        high={props.budget * 0.8}
        aria-label={`${props.label}: spent of budget`}
      />
      <span class="budget-value">
        {props.format(props.spent)} of {props.format(props.budget)} ({Math.round(share * 100)}%)
      </span>
    </div>
  )
}
