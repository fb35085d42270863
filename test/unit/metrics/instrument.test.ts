import { describe, expect, it } from 'vitest'
import type { OperationOutcomeIssue } from '@medplum/fhirtypes'
import { createGatewayMetrics } from '../../../src/metrics/gateway-metrics.ts'
import { instrumentValidator } from '../../../src/metrics/instrument.ts'
import { openSqliteStore } from '../../../src/store/sqlite-store.ts'
import type { ResourceValidator } from '../../../src/validation/validator.ts'
import { referral, settle, T0 } from '../store/contract/harness.ts'

const clock = { now: () => new Date(Date.parse(T0) + 60_000) }

async function value (metrics: ReturnType<typeof createGatewayMetrics>, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = await metrics.registry.getSingleMetric(name)?.get()
  return metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value
}

describe('createGatewayMetrics', () => {
  it('reads the outbox backlog from the store at scrape time, and counts the domain events it is told of', async () => {
    const store = await openSqliteStore({ file: ':memory:' })
    const metrics = createGatewayMetrics(store, clock)
    try {
      for (const n of ['1', '2', '3']) await store.saveReferral(referral(n, { owner: 'frimley' }))
      await settle(store, clock.now(), { id: 'out-1', outcome: 'delivered', responseStatus: 201 }, { id: 'out-3', outcome: 'dead-letter', error: 'HTTP 400' })
      metrics.delivery('frimley', 'delivered')
      metrics.triageOutcome('eligible-refer', 'frimley')
      metrics.triageOutcome('eligible-refer', 'frimley')

      expect(await value(metrics, 'workwell_deliveries_total', { partnership: 'frimley', status: 'delivered' })).toBe(1)
      expect(await value(metrics, 'workwell_triage_outcomes_total', { outcome: 'eligible-refer', partnership: 'frimley' })).toBe(2)
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
