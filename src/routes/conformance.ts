import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { Resource } from '@medplum/fhirtypes'
import { outcomeError } from '../fhir/operation-outcome.ts'
import { sendFhir } from '../fhir/reply.ts'
import type { RouteDeps } from './route-deps.ts'
import { ANY_ROLE } from '../auth/access-policy.ts'
import { ID_PARAMS } from '../fhir/request-schema.ts'

/** The conformance resources the validator works from, served read-only by id. */
export const CONFORMANCE_TYPES = ['StructureDefinition', 'ValueSet', 'CodeSystem'] as const

/**
 * Reads the StructureDefinitions, ValueSets and CodeSystems of the profiles folder, by type and id.
 * @param dir - the profiles folder (config.profilesDir)
 * @returns type → id → resource
 */
export async function loadConformanceResources (dir: string): Promise<Map<string, Map<string, Record<string, unknown>>>> {
  const byType = new Map<string, Map<string, Record<string, unknown>>>(CONFORMANCE_TYPES.map((t) => [t, new Map()]))
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.json')).sort()) {
    const parsed: unknown = JSON.parse(await readFile(join(dir, name), 'utf8'))
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) continue
    const r = parsed as Record<string, unknown>
    if (typeof r.resourceType === 'string' && typeof r.id === 'string') byType.get(r.resourceType)?.set(r.id, r)
  }
  return byType
}

/**
 * GET /fhir/{StructureDefinition|ValueSet|CodeSystem}/{id}: the definitions every write is
 * validated against, so a sender can fetch exactly what the gateway enforces (R4 http.html
 * §3.1.0.2 read). They are files in the release, read once at start.
 */
export async function conformanceRoutes (app: FastifyInstance, deps: RouteDeps): Promise<void> {
  const resources = await loadConformanceResources(deps.config.profilesDir)
  for (const type of CONFORMANCE_TYPES) {
    const byId = resources.get(type) ?? new Map<string, Record<string, unknown>>()
    app.get<{ Params: { id: string } }>(`/fhir/${type}/:id`, {
      config: { access: ANY_ROLE, fhir: { type, interaction: 'read' } },
      schema: { params: ID_PARAMS }
    }, async (request, reply) => {
      const { id } = request.params
      const found = byId.get(id)
      if (found === undefined) throw outcomeError(404, 'not-found', `${type}/${id} is not known`, `${type}.id`)
      await sendFhir(reply, found as unknown as Resource)
    })
  }
}
