/**
 * Request counters for the stats endpoint and `emulator.stats()`.
 */

/** A snapshot of the emulator's counters. */
export interface Stats {
  readonly requests: number
  readonly requestsByOperation: Readonly<Record<string, number>>
  readonly responsesByStatus: Readonly<Record<string, number>>
  readonly faultsInjected: Readonly<Record<string, number>>
  readonly streamsAbortedByClient: number
  readonly activeStreams: number
}

export interface StatsCounter {
  readonly request: (operation: string) => void
  readonly response: (status: number) => void
  readonly fault: (kind: string) => void
  readonly streamOpened: () => void
  readonly streamClosed: (abortedByClient: boolean) => void
  readonly snapshot: () => Stats
  readonly reset: () => void
}

const bump = (record: Record<string, number>, key: string): void => {
  record[key] = (record[key] ?? 0) + 1
}

export const makeStats = (): StatsCounter => {
  let requests = 0
  let requestsByOperation: Record<string, number> = {}
  let responsesByStatus: Record<string, number> = {}
  let faultsInjected: Record<string, number> = {}
  let streamsAbortedByClient = 0
  let activeStreams = 0
  return {
    request: (operation) => {
      requests++
      bump(requestsByOperation, operation)
    },
    response: (status) => bump(responsesByStatus, String(status)),
    fault: (kind) => bump(faultsInjected, kind),
    streamOpened: () => {
      activeStreams++
    },
    streamClosed: (abortedByClient) => {
      activeStreams--
      if (abortedByClient) streamsAbortedByClient++
    },
    snapshot: () => ({
      requests,
      requestsByOperation: { ...requestsByOperation },
      responsesByStatus: { ...responsesByStatus },
      faultsInjected: { ...faultsInjected },
      streamsAbortedByClient,
      activeStreams
    }),
    reset: () => {
      requests = 0
      requestsByOperation = {}
      responsesByStatus = {}
      faultsInjected = {}
      streamsAbortedByClient = 0
    }
  }
}
