import { describe, expect, it } from 'vitest'
import { readCookie, sessionCookie } from '../../../src/console/console-cookie.ts'

describe('console cookie', () => {
  it('reads one cookie among several', () => {
    expect(readCookie('a=1; workwell_console=xyz; b=2', 'workwell_console')).toBe('xyz')
    expect(readCookie('a=1', 'workwell_console')).toBeUndefined()
    expect(readCookie(undefined, 'x')).toBeUndefined()
  })

  it('is HttpOnly and SameSite=Strict always, Secure over https, and can be deleted', () => {
    expect(sessionCookie('s', 'v', { path: '/console', secure: false })).toBe('s=v; Path=/console; HttpOnly; SameSite=Strict')
    expect(sessionCookie('s', 'v', { path: '/console', secure: true })).toBe('s=v; Path=/console; HttpOnly; SameSite=Strict; Secure')
    expect(sessionCookie('s', '', { path: '/console', secure: true, maxAgeSeconds: 0 })).toContain('Max-Age=0')
  })
})
