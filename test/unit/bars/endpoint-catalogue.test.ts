import { describe, expect, it } from 'vitest'
import { loadEndpointCatalogue, mayUseEndpoint, parseEndpointCatalogue, responseEndpointFor, senderOdsOf } from '../../../src/bars/endpoint-catalogue.ts'

describe('parseEndpointCatalogue', () => {
  it('resolves a referrer endpoint to its $process-message URL', () => {
    const c = parseEndpointCatalogue({ endpoints: [{ endpoint: 'https://fhir.nhs.uk/Id/ods-organization-code|P88002', url: 'https://gp.example/fhir/$process-message' }] }, 'test')
    expect(c.size).toBe(1)
    expect(c.resolve('https://fhir.nhs.uk/Id/ods-organization-code|P88002')?.url).toBe('https://gp.example/fhir/$process-message')
    expect(c.resolve('https://fhir.nhs.uk/Id/ods-organization-code|P88003')).toBeUndefined()
  })

  it.each([
    [{}, /expected \{ "endpoints"/],
    [{ endpoints: [{ endpoint: 'no-bar', url: 'https://x.example' }] }, /endpoints\[0\]\.endpoint/],
    [{ endpoints: [{ endpoint: 'a:b|c', url: 'ftp://x.example' }] }, /http\(s\)/],
    [{ endpoints: [{ endpoint: 'a:b|c', url: 'relative' }] }, /absolute/],
    [{ endpoints: [{ endpoint: 'a:b|c', url: 'https://x.example' }, { endpoint: 'a:b|c', url: 'https://y.example' }] }, /endpoints\[1\] repeats/]
  ])('refuses %j', (json, message) => {
    expect(() => parseEndpointCatalogue(json, 'test')).toThrow(message)
  })

  it('reads the default catalogue under the repository', async () => {
    const c = await loadEndpointCatalogue(new URL('../../../fixtures/bars/endpoint-catalogue.json', import.meta.url).pathname)
    expect(c.size).toBeGreaterThan(0)
    await expect(loadEndpointCatalogue('/nonexistent/endpoints.json')).rejects.toThrow(/cannot be read/)
  })
})

describe('the response endpoint and who may name an endpoint', () => {
  const ODS = 'https://fhir.nhs.uk/Id/ods-organization-code'
  const catalogue = parseEndpointCatalogue({
    endpoints: [
      { endpoint: `${ODS}|P88002`, url: 'https://p88002.example/$process-message' },
      { endpoint: 'https://fhir.nhs.uk/Id/dos-service-id|1', ods: 'y02720', url: 'https://y02720.example/$process-message' },
      { endpoint: 'https://fhir.nhs.uk/Id/dos-service-id|2', ods: 'H81097', url: 'https://h81097.example/a' },
      { endpoint: 'https://fhir.nhs.uk/Id/dos-service-id|3', ods: 'H81097', url: 'https://h81097.example/b' },
      { endpoint: 'https://other.example/Id/x|4', url: 'https://nobody.example/' }
    ]
  }, 'test')

  it('lists the endpoints of an organisation, by their ods field or their own ODS code', () => {
    expect(catalogue.forOds('P88002').map((e) => e.url)).toEqual(['https://p88002.example/$process-message'])
    expect(catalogue.forOds('y02720 ').map((e) => e.endpoint)).toEqual(['https://fhir.nhs.uk/Id/dos-service-id|1'])
    expect(catalogue.forOds('H81097')).toHaveLength(2)
    expect(catalogue.forOds('A00001')).toEqual([])
  })

  it('takes the source endpoint when listed, else the one endpoint of the sender\'s ODS code, and says why there is none', () => {
    expect(responseEndpointFor(catalogue, `${ODS}|P88002`, 'Y02720')).toMatchObject({ ok: true, from: 'source', entry: { url: 'https://p88002.example/$process-message' } })
    expect(responseEndpointFor(catalogue, `${ODS}|Y02720`, 'Y02720')).toMatchObject({ ok: true, from: 'ods', entry: { endpoint: 'https://fhir.nhs.uk/Id/dos-service-id|1' } })
    expect(responseEndpointFor(catalogue, `${ODS}|Y99999`, 'Y99999')).toEqual({ ok: false, reason: 'none', ods: 'Y99999' })
    expect(responseEndpointFor(catalogue, `${ODS}|H81097`, 'H81097')).toEqual({ ok: false, reason: 'several', ods: 'H81097' })
    expect(responseEndpointFor(catalogue, 'https://other.example/Id/x|5', undefined)).toEqual({ ok: false, reason: 'unknown-sender' })
  })

  it('finds the sender: the endpoint\'s own ODS code, the caller\'s only one, or the one the sender claims among the caller\'s', () => {
    expect(senderOdsOf(`${ODS}|P88002`, ['Y02720', 'P88002'], undefined)).toBe('P88002')
    expect(senderOdsOf('a:b|c', ['Y02720'], 'P88002')).toBe('Y02720')
    expect(senderOdsOf('a:b|c', ['Y02720', 'P88002'], 'P88002')).toBe('P88002')
    expect(senderOdsOf('a:b|c', ['Y02720', 'P88002'], 'H81097')).toBeUndefined()
    expect(senderOdsOf('a:b|c', ['Y02720', 'P88002'], undefined)).toBeUndefined()
    // an endpoint naming an organisation the caller does not act for is not taken as the sender
    expect(senderOdsOf(`${ODS}|H81097`, ['Y02720', 'P88002'], undefined)).toBeUndefined()
  })

  it('lets a sender name its own endpoints and unlisted anonymous ones, never another organisation\'s or a listed one of nobody', () => {
    expect(mayUseEndpoint(catalogue, `${ODS}|P88002`, ['P88002'])).toBe(true)
    expect(mayUseEndpoint(catalogue, 'https://fhir.nhs.uk/Id/dos-service-id|1', ['Y02720'])).toBe(true)
    expect(mayUseEndpoint(catalogue, 'https://fhir.nhs.uk/Id/dos-service-id|1', ['P88002'])).toBe(false)
    expect(mayUseEndpoint(catalogue, `${ODS}|Y99999`, ['P88002'])).toBe(false)
    expect(mayUseEndpoint(catalogue, 'https://fhir.nhs.uk/Id/dos-service-id|77', ['P88002'])).toBe(true)
    expect(mayUseEndpoint(catalogue, 'https://other.example/Id/x|4', ['P88002'])).toBe(false)
  })
})
