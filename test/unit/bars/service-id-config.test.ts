import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../../src/config.ts'

describe('WORKWELL_BARS_SERVICE_ID', () => {
  it('takes a system|value endpoint', () => {
    expect(loadConfig({ WORKWELL_BARS_SERVICE_ID: 'https://fhir.nhs.uk/Id/dos-service-id|2000099999' }, '/srv').bars.serviceId).toBe('https://fhir.nhs.uk/Id/dos-service-id|2000099999')
  })

  it.each(['workwell', 'https://x.example|', 'not a uri|1', 'a:b|c|d'])('refuses %j, naming the variable', (value) => {
    expect(() => loadConfig({ WORKWELL_BARS_SERVICE_ID: value }, '/srv')).toThrow(ConfigError)
    expect(() => loadConfig({ WORKWELL_BARS_SERVICE_ID: value }, '/srv')).toThrow(/WORKWELL_BARS_SERVICE_ID/)
  })
})
