import { describe, expect, it, onTestFinished } from 'vitest'
import { ConfigError, loadConfig } from '../../../src/config.ts'
import { createConfiguredWorker } from '../../../src/delivery/from-config.ts'
import type { Partnership } from '../../../src/routing/partnership.ts'
import { openSqliteStore } from '../../../src/store/sqlite-store.ts'

const SILENT = { info: () => undefined, warn: () => undefined, error: () => undefined }

describe('delivery configuration', () => {
  it('takes an http(s) URL or a file:/// folder (csv daily drop) as a partnership endpoint override', () => {
    const config = loadConfig({
      WORKWELL_PARTNER_URL_HEREFORDSHIRE_AND_WORCESTERSHIRE: 'file:///srv/drops/hw',
      WORKWELL_PARTNER_URL_FRIMLEY: 'https://frimley.example/referrals'
    }, '/srv')
    expect(config.partnerUrls).toEqual({ 'herefordshire-and-worcestershire': 'file:///srv/drops/hw', frimley: 'https://frimley.example/referrals' })
    expect(() => loadConfig({ WORKWELL_PARTNER_URL_FRIMLEY: 'ftp://frimley.example/in' }, '/srv')).toThrow(ConfigError)
    expect(() => loadConfig({ WORKWELL_PARTNER_URL_FRIMLEY: 'drops/frimley' }, '/srv')).toThrow('WORKWELL_PARTNER_URL_FRIMLEY')
  })

  it('refuses a signing secret for a partnership that does not exist, naming the variable', async () => {
    const store = await openSqliteStore({ file: ':memory:' })
    onTestFinished(async () => { await store.close() })
    const config = loadConfig({ WORKWELL_PARTNER_SECRET_NOWHERE: 'x'.repeat(32) }, '/srv')
    const partnerships = new Map<string, Partnership>()
    expect(() => createConfiguredWorker({ config, store, partnerships, mappings: new Map(), clock: { now: () => new Date() }, logger: SILENT }))
      .toThrow('WORKWELL_PARTNER_SECRET_NOWHERE: no partnership "nowhere"')
  })
})
