import { describe, expect, it } from 'vitest'
import { classifyStatus, describeSendError } from '../../../src/delivery/outcome.ts'

describe('classifyStatus', () => {
  it.each([
    [200, 'delivered'], [201, 'delivered'], [202, 'delivered'], [204, 'delivered'],
    [408, 'retry'], [429, 'retry'], [500, 'retry'], [502, 'retry'], [503, 'retry'], [504, 'retry'],
    [400, 'reject'], [401, 'reject'], [403, 'reject'], [404, 'reject'], [409, 'reject'], [413, 'reject'], [422, 'reject'],
    [301, 'reject'], [307, 'reject']
  ] as const)('%i → %s', (status, verdict) => {
    expect(classifyStatus(status)).toBe(verdict)
  })
})

describe('describeSendError', () => {
  it('calls undici timeouts and abort-signal timeouts a timeout', () => {
    expect(describeSendError(Object.assign(new Error('x'), { code: 'UND_ERR_HEADERS_TIMEOUT' }))).toBe('timeout (UND_ERR_HEADERS_TIMEOUT)')
    expect(describeSendError(Object.assign(new Error('x'), { code: 'UND_ERR_CONNECT_TIMEOUT' }))).toBe('timeout (UND_ERR_CONNECT_TIMEOUT)')
    expect(describeSendError(new DOMException('signal timed out', 'TimeoutError'))).toBe('timeout (TimeoutError)')
  })

  it('names only the code of anything else, never the message', () => {
    const err = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443 for Okafor'), { code: 'ECONNREFUSED' })
    expect(describeSendError(err)).toBe('connection error (ECONNREFUSED)')
    expect(describeSendError('boom')).toBe('connection error (unknown)')
  })
})
