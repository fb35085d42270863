import { describe, expect, it } from 'vitest'
import { loadEndpointCatalogue, parseEndpointCatalogue } from '../../../src/bars/endpoint-catalogue.ts'

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
