import { describe, expect, it } from 'vitest'
import type { OperationOutcomeIssue } from '@medplum/fhirtypes'
import { createGatewayMetrics } from '../../../src/metrics/gateway-metrics.ts'
import { instrumentStore, instrumentValidator } from '../../../src/metrics/instrument.ts'
import { openSqliteStore } from '../../../src/store/sqlite-store.ts'
import type { ResourceValidator } from '../../../src/validation/validator.ts'
import { referral, T0 } from '../store/store-contract.ts'

const clock = { now: () => new Date(Date.parse(T0) + 60_000) }

async function value (metrics: ReturnType<typeof createGatewayMetrics>, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = await metrics.registry.getSingleMetric(name)?.get()
  return metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value
}

describe('instrumentStore', () => {
  it('counts each settled delivery under the partnership of its claimed row, and triage outcomes as referrals are saved', async () => {
    const raw = await openSqliteStore({ file: ':memory:' })
    const metrics = createGatewayMetrics(raw, clock)
    const store = instrumentStore(raw, metrics)
    try {
      await store.saveReferral(referral('1', { owner: 'frimley' }))
      await store.saveReferral(referral('2', { owner: 'frimley' }))
      await store.saveReferral(referral('3', { owner: 'black-country' }))
      await store.saveReferral(referral('4', { owner: 'black-country' }))
      const claimed = await store.claimDueDeliveries(clock.now(), 10, 60_000)
      expect(claimed).toHaveLength(4)
      await store.settleDeliveries([
        { id: 'out-1', outcome: 'delivered', responseStatus: 201 },
        { id: 'out-2', outcome: 'retry', nextAttemptAt: clock.now(), error: 'HTTP 503' },
        { id: 'out-3', outcome: 'dead-letter', error: 'HTTP 400' }
      ], clock.now())
      await store.markDelivered('out-4', clock.now(), 200)

      expect(await value(metrics, 'workwell_deliveries_total', { partnership: 'frimley', status: 'delivered' })).toBe(1)
      expect(await value(metrics, 'workwell_deliveries_total', { partnership: 'frimley', status: 'retry' })).toBe(1)
      expect(await value(metrics, 'workwell_deliveries_total', { partnership: 'black-country', status: 'dead-letter' })).toBe(1)
      expect(await value(metrics, 'workwell_deliveries_total', { partnership: 'black-country', status: 'delivered' })).toBe(1)
      // the fixture Tasks carry no triage businessStatus
      expect(await value(metrics, 'workwell_triage_outcomes_total', { outcome: 'unknown', partnership: 'frimley' })).toBe(2)
      // out-2 is pending again, due now; out-1, 3 and 4 are settled
      expect(await value(metrics, 'workwell_outbox_rows', { status: 'pending' })).toBe(1)
      expect(await value(metrics, 'workwell_outbox_rows', { status: 'dead-letter' })).toBe(1)
      expect(await value(metrics, 'workwell_outbox_oldest_pending_age_seconds', {})).toBe(60)
    } finally {
      await store.close()
    }
  })
})

describe('instrumentValidator', () => {
  it('counts validations with errors by a known profile asked for or claimed, else unknown-profile, else base', async () => {
    const raw = await openSqliteStore({ file: ':memory:' })
    const metrics = createGatewayMetrics(raw, clock)
    const errors: OperationOutcomeIssue[] = [{ severity: 'error', code: 'required', diagnostics: 'x' }]
    const fake: ResourceValidator = {
      profiles: ['https://p/one'],
      validate: (resource) => ((resource as { bad?: boolean }).bad === true ? errors : [{ severity: 'warning', code: 'informational' }])
    }
    const validator = instrumentValidator(fake, metrics)
    try {
      expect(validator.profiles).toEqual(['https://p/one'])
      expect(validator.validate({ resourceType: 'Patient', bad: true }, { profile: 'https://p/asked' })).toBe(errors)
      validator.validate({ resourceType: 'Patient', bad: true }, { profile: 'https://p/one' })
      validator.validate({ resourceType: 'Patient', bad: true, meta: { profile: ['https://p/claimed'] } })
      validator.validate({ resourceType: 'Patient', bad: true, meta: { profile: ['https://p/one'] } })
      validator.validate({ resourceType: 'Patient', bad: true })
      validator.validate({ resourceType: 'Patient' })
      // labels from a closed set: a loaded profile, else unknown-profile, else base
      expect(await value(metrics, 'workwell_validation_failures_total', { profile: 'https://p/one' })).toBe(2)
      expect(await value(metrics, 'workwell_validation_failures_total', { profile: 'unknown-profile' })).toBe(2)
      expect(await value(metrics, 'workwell_validation_failures_total', { profile: 'base' })).toBe(1)
      expect((await metrics.registry.getSingleMetric('workwell_validation_failures_total')?.get())?.values).toHaveLength(3)
    } finally {
      await raw.close()
    }
  })
})
