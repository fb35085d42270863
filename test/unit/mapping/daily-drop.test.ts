import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { csvRowsForDrop, dailyDropFileName, fileDropDirectory } from '../../../src/mapping/daily-drop.ts'
import { mapReferral } from '../../../src/mapping/map-referral.ts'
import type { Mapping } from '../../../src/mapping/mapping.ts'
import { nclReferral } from './referral-fixture.ts'

const csvMapping: Mapping = {
  partnershipId: 'cambridgeshire-and-peterborough',
  format: 'csv',
  version: '1',
  envelope: { referralId: 'GatewayReferralID' },
  fields: [
    { name: 'Surname', path: '%patient.name.family.first()' },
    { name: 'Note', path: "'a, b' + '\n' + 'c'" }
  ]
}

describe('dailyDropFileName', () => {
  it('names the file by partnership and the England calendar day', () => {
    expect(dailyDropFileName('cambridgeshire-and-peterborough', new Date('2026-11-20T23:59:59Z')))
      .toBe('cambridgeshire-and-peterborough-referrals-2026-11-20.csv')
    // 00:30 BST on 1 June is still 31 May in UTC: the file is the English day's
    expect(dailyDropFileName('frimley', new Date('2026-05-31T23:30:00Z'))).toBe('frimley-referrals-2026-06-01.csv')
  })

  it('refuses anything that is not a partnership id (no path tricks)', () => {
    expect(() => dailyDropFileName('../etc', new Date())).toThrow('not a partnership id')
    expect(() => dailyDropFileName('', new Date())).toThrow('not a partnership id')
  })

  it('names the later parts of a day (a new column layout) -2, -3 …, and refuses other parts', () => {
    const at = new Date('2026-11-20T12:00:00Z')
    expect(dailyDropFileName('frimley', at, 1)).toBe('frimley-referrals-2026-11-20.csv')
    expect(dailyDropFileName('frimley', at, 2)).toBe('frimley-referrals-2026-11-20-2.csv')
    expect(() => dailyDropFileName('frimley', at, 0)).toThrow('not a file part')
    expect(() => dailyDropFileName('frimley', at, 1.5)).toThrow('not a file part')
  })
})

describe('csvRowsForDrop', () => {
  const mapped = (): { contentType: string, body: string } => {
    const result = mapReferral(csvMapping, nclReferral())
    if (!result.ok) throw new Error('expected a mapping')
    return result
  }

  it('gives header and row for a new file, the row alone after, so appends make one valid CSV', () => {
    const first = csvRowsForDrop(mapped(), true)
    const next = csvRowsForDrop(mapped(), false)
    expect(first).toBe(mapped().body)
    expect(first.startsWith('GatewayReferralID,taskId,partnershipId,Surname,Note\r\n')).toBe(true)
    // a quoted value with a line break stays inside its row
    expect(next).toBe('sr-1,task-1,cambridgeshire-and-peterborough,Okafor,"a, b\nc"\r\n')
    expect((first + next).split('\r\n')).toHaveLength(4)
  })

  it('refuses output of another format', () => {
    expect(() => csvRowsForDrop({ contentType: 'application/json; charset=utf-8', body: '{}' }, false)).toThrow('takes csv output')
  })
})

describe('fileDropDirectory', () => {
  const data = resolve('/srv/workwell/data')

  it('is undefined for http(s) endpoints (POST delivery)', () => {
    expect(fileDropDirectory('http://127.0.0.1:9090/x', data)).toBeUndefined()
    expect(fileDropDirectory('HTTPS://partner.example/x', data)).toBeUndefined()
  })

  it('takes file:/// URLs as absolute folders', () => {
    expect(fileDropDirectory('file:///var/drop/cambridgeshire', data)).toBe('/var/drop/cambridgeshire')
    expect(fileDropDirectory('file:///var/drop/with%20space', data)).toBe('/var/drop/with space')
  })

  it('takes other endpoints as folders inside the data folder, and refuses ones that leave it', () => {
    expect(fileDropDirectory('drops/cambridgeshire', data)).toBe(join(data, 'drops', 'cambridgeshire'))
    expect(() => fileDropDirectory('../elsewhere', data)).toThrow('inside the data folder')
    expect(() => fileDropDirectory('drops/../../x', data)).toThrow('inside the data folder')
    expect(() => fileDropDirectory('/abs/path', data)).toThrow('inside the data folder')
    expect(() => fileDropDirectory('.', data)).toThrow('inside the data folder')
    expect(() => fileDropDirectory('file://host/share', data)).toThrow()
  })
})
