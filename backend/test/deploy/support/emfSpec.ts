/**
 * A checker of CloudWatch embedded metric format documents, written from the specification
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
 * it lists every way a document breaks the specification, so a test can assert there are none.
 */

const units = new Set([
  "Seconds",
  "Microseconds",
  "Milliseconds",
  "Bytes",
  "Kilobytes",
  "Megabytes",
  "Gigabytes",
  "Terabytes",
  "Bits",
  "Kilobits",
  "Megabits",
  "Gigabits",
  "Terabits",
  "Percent",
  "Count",
  "Bytes/Second",
  "Kilobytes/Second",
  "Megabytes/Second",
  "Gigabytes/Second",
  "Terabytes/Second",
  "Bits/Second",
  "Kilobits/Second",
  "Megabits/Second",
  "Gigabits/Second",
  "Terabits/Second",
  "Count/Second",
  "None"
])

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** The violations of the specification in a document (a parsed JSON line); empty when it is valid. */
export const violations = (document: unknown): Array<string> => {
  const found: Array<string> = []
  if (!isRecord(document)) return ["the document is not a JSON object"]
  const metadata = document["_aws"]
  if (!isRecord(metadata)) return ["the root has no _aws object"]
  for (const member of Object.keys(metadata)) {
    if (member !== "Timestamp" && member !== "CloudWatchMetrics" && member !== "LogGroupName") {
      found.push(`_aws has an unknown member ${member}`)
    }
  }
  const timestamp = metadata["Timestamp"]
  if (typeof timestamp !== "number" || !Number.isInteger(timestamp) || timestamp < 0) {
    found.push("_aws.Timestamp is not a number of milliseconds since the epoch")
  }
  const directives = metadata["CloudWatchMetrics"]
  if (!Array.isArray(directives)) return [...found, "_aws.CloudWatchMetrics is not an array"]
  const metricNames = new Set<string>()
  const dimensionNames = new Set<string>()
  directives.forEach((directive, d) => {
    if (!isRecord(directive)) return found.push(`directive ${d} is not an object`)
    const namespace = directive["Namespace"]
    if (typeof namespace !== "string" || namespace.length < 1 || namespace.length > 255) {
      found.push(`directive ${d}: Namespace must be a string of 1 to 255 characters`)
    }
    const dimensions = directive["Dimensions"]
    if (!Array.isArray(dimensions)) {
      found.push(`directive ${d}: Dimensions is not an array`)
    } else {
      dimensions.forEach((set, s) => {
        if (!Array.isArray(set)) return found.push(`directive ${d}: dimension set ${s} is not an array`)
        if (set.length > 30) found.push(`directive ${d}: dimension set ${s} has more than 30 dimensions`)
        for (const name of set) {
          if (typeof name !== "string") {
            found.push(`directive ${d}: a dimension name of set ${s} is not a string`)
            continue
          }
          dimensionNames.add(name)
          const value = document[name]
          if (typeof value !== "string") found.push(`dimension ${name} has no string value at the root`)
          else if (value.length < 1 || value.length > 1024) found.push(`dimension ${name}'s value has a bad length`)
        }
        return undefined
      })
    }
    const metrics = directive["Metrics"]
    if (!Array.isArray(metrics)) return found.push(`directive ${d}: Metrics is not an array`)
    if (metrics.length > 100) found.push(`directive ${d}: more than 100 metrics`)
    for (const metric of metrics) {
      if (!isRecord(metric) || typeof metric["Name"] !== "string" || metric["Name"].length === 0) {
        found.push(`directive ${d}: a metric definition has no Name`)
        continue
      }
      const name = metric["Name"]
      metricNames.add(name)
      if (metric["Unit"] !== undefined && !units.has(String(metric["Unit"]))) {
        found.push(`metric ${name}: unknown Unit ${String(metric["Unit"])}`)
      }
      const resolution = metric["StorageResolution"]
      if (resolution !== undefined && resolution !== 1 && resolution !== 60) {
        found.push(`metric ${name}: StorageResolution must be 1 or 60`)
      }
      const value = document[name]
      const numbers = Array.isArray(value) ? value : [value]
      if (numbers.length === 0 || numbers.length > 100) found.push(`metric ${name}: 1 to 100 values`)
      if (!numbers.every((n) => typeof n === "number" && Number.isFinite(n))) {
        found.push(`metric ${name} has no numeric value at the root`)
      }
    }
    return undefined
  })
  for (const name of metricNames) {
    if (dimensionNames.has(name)) found.push(`${name} is both a metric and a dimension`)
  }
  return found
}
