import type { OperationOutcomeIssue } from '@medplum/fhirtypes'
import { SYSTEMS } from '../fhir/systems.ts'
import type { DeliverySettlement, OutboxRow, ReferralWrite, Store } from '../store/store.ts'
import type { ResourceValidator, ValidateOptions } from '../validation/validator.ts'
import type { GatewayMetrics } from './gateway-metrics.ts'

/**
 * The validator, counting every validation that finds errors under the profile it was
 * checked against: the one asked for, else the first the resource claims. The label comes
 * from a closed set (a profile the gateway has loaded, `base`, or `unknown-profile`), never
 * from the caller's text: each new label value is a new series on /metrics, kept for the
 * life of the process.
 */
export function instrumentValidator (validator: ResourceValidator, metrics: GatewayMetrics): ResourceValidator {
  return {
    get profiles () { return validator.profiles },
    validate (resource: unknown, options?: ValidateOptions): OperationOutcomeIssue[] {
      const issues = validator.validate(resource, options)
      if (issues.some((i) => i.severity === 'error' || i.severity === 'fatal')) metrics.validationFailure(profileLabel(validator, profileOf(resource, options)))
      return issues
    }
  }
}

function profileOf (resource: unknown, options?: ValidateOptions): string | undefined {
  if (options?.profile !== undefined) return options.profile
  if (resource === null || typeof resource !== 'object') return undefined
  const r = resource as { meta?: { profile?: unknown } }
  const claimed = Array.isArray(r.meta?.profile) ? r.meta.profile[0] : undefined
  return typeof claimed === 'string' ? claimed : undefined
}

function profileLabel (validator: ResourceValidator, profile: string | undefined): string {
  if (profile === undefined) return 'base'
  return validator.profiles.includes(profile) ? profile : 'unknown-profile'
}

/**
 * The store, counting what it commits: triage outcomes as referrals are saved, and delivery
 * outcomes as they are settled. A settlement carries only the row id, so the partnership of
 * each claimed row is remembered from the claim until the row is settled.
 */
export function instrumentStore (store: Store, metrics: GatewayMetrics): Store {
  const partnershipOf = new Map<string, string>()
  const claimed = (rows: OutboxRow[]): OutboxRow[] => {
    for (const row of rows) partnershipOf.set(row.id, row.partnershipId)
    return rows
  }
  const settled = (settlements: ReadonlyArray<Pick<DeliverySettlement, 'id' | 'outcome'>>): void => {
    for (const s of settlements) {
      const partnership = partnershipOf.get(s.id)
      partnershipOf.delete(s.id)
      metrics.delivery(partnership ?? 'unknown', s.outcome)
    }
  }
  const forget = (ids: readonly string[]): void => { for (const id of ids) partnershipOf.delete(id) }

  return {
    claimRequestId: async (...a) => store.claimRequestId(...a),
    releaseRequestId: async (...a) => store.releaseRequestId(...a),
    async saveReferral (write) {
      await store.saveReferral(write)
      metrics.triageOutcome(triageOutcomeOf(write), write.task.owner)
    },
    appendAudit: async (...a) => store.appendAudit(...a),
    updateTask: async (...a) => store.updateTask(...a),
    readResource: async (...a) => store.readResource(...a),
    searchTasks: async (...a) => store.searchTasks(...a),
    referralsByPatientKey: async (...a) => store.referralsByPatientKey(...a),
    claimDueDeliveries: async (...a) => claimed(await store.claimDueDeliveries(...a)),
    claimDueDeliveriesFor: async (...a) => claimed(await store.claimDueDeliveriesFor(...a)),
    async markDelivered (id, now, responseStatus) {
      await store.markDelivered(id, now, responseStatus)
      settled([{ id, outcome: 'delivered' }])
    },
    async scheduleRetry (id, nextAttemptAt, error, now) {
      await store.scheduleRetry(id, nextAttemptAt, error, now)
      settled([{ id, outcome: 'retry' }])
    },
    async markDeadLetter (id, error, now) {
      await store.markDeadLetter(id, error, now)
      settled([{ id, outcome: 'dead-letter' }])
    },
    async settleDeliveries (settlements, now, audit) {
      try {
        await store.settleDeliveries(settlements, now, audit)
      } catch (err) {
        // not recorded: the lease runs out and the row is claimed (and remembered) again
        forget(settlements.map((s) => s.id))
        throw err
      }
      settled(settlements)
    },
    listDeliveries: async (...a) => store.listDeliveries(...a),
    readDelivery: async (...a) => store.readDelivery(...a),
    replayDelivery: async (...a) => store.replayDelivery(...a),
    outboxStats: async () => store.outboxStats(),
    saveCircuit: async (...a) => store.saveCircuit(...a),
    listCircuits: async () => store.listCircuits(),
    prune: async (...a) => store.prune(...a),
    searchAudit: async (...a) => store.searchAudit(...a),
    ping: async () => store.ping(),
    close: async () => store.close()
  }
}

/** The triage outcome the stored Task carries (Task.businessStatus, build-task.ts). */
function triageOutcomeOf (write: ReferralWrite): string {
  const task = write.resources.find((r) => r.resourceType === 'Task' && r.id === write.task.id)?.resource
  const coding = task !== undefined && 'businessStatus' in task ? task.businessStatus?.coding : undefined
  return coding?.find((c) => c.system === SYSTEMS.triageOutcome)?.code ?? 'unknown'
}
