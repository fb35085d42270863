import { ConfigError } from '../config.ts'
import type { Partnership } from '../routing/partnership.ts'

/**
 * In production, referrals leave only over TLS: every partnership endpoint that is a network
 * address must be https (a csv daily file drop is a folder, not a network address). Referrals
 * are special-category data (UK GDPR Art 9), and plain http would expose them
 * and the delivery signature key's work to anyone on the path.
 */
export function assertHttpsEndpoints (partnerships: Iterable<Partnership>, production: boolean): void {
  if (!production) return
  for (const p of partnerships) {
    if (/^http:\/\//i.test(p.delivery.endpoint)) {
      throw new ConfigError(`WORKWELL_PARTNER_URL_${p.id.toUpperCase().replaceAll('-', '_')}`,
        `partnership ${p.id} delivers over plain http; NODE_ENV=production needs an https endpoint`)
    }
  }
}
