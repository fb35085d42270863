import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { ServiceRequest, Task } from '@medplum/fhirtypes'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createFileDrop } from '../../../src/delivery/file-drop.ts'
import type { DropDelivery } from '../../../src/delivery/file-drop.ts'
import { mapReferral } from '../../../src/mapping/map-referral.ts'
import type { Mapping } from '../../../src/mapping/mapping.ts'
import { nclServiceRequest, triageTask } from '../mapping/referral-fixture.ts'

/** The daily file drop against a real temporary folder. */
const PARTNERSHIP = 'herefordshire-and-worcestershire'
const mapping: Mapping = {
  partnershipId: PARTNERSHIP,
  format: 'csv',
  version: '1',
  envelope: { referralId: 'REFERRAL_ID' },
  fields: [
    { name: 'SURNAME', path: '%patient.name.family.first()' },
    { name: 'NOTE', path: "'line one' + '\n' + 'line two, quoted'" }
  ]
}
const HEADER = 'REFERRAL_ID,taskId,partnershipId,SURNAME,NOTE\r\n'

let root: string
let directory: string
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'workwell-drop-'))
  directory = path.join(root, 'drops', PARTNERSHIP)
})
afterEach(() => { rmSync(root, { recursive: true, force: true }) })

function delivery (n: number, at: string): DropDelivery {
  const referralId = `sr-${n}`
  const result = mapReferral(mapping, { serviceRequest: nclServiceRequest(referralId), task: triageTask(referralId, `task-${n}`) })
  if (!result.ok) throw new Error('the fixture must map')
  return { partnershipId: PARTNERSHIP, directory, referralId, mapped: result, at: new Date(at) }
}

const row = (n: number): string => `sr-${n},task-${n},${PARTNERSHIP},Okafor,"line one\nline two, quoted"\r\n`
const file = (date: string): string => path.join(directory, `${PARTNERSHIP}-referrals-${date}.csv`)

describe('daily file drop', () => {
  it('creates the day\'s file with its header, then appends one row per referral', async () => {
    const drop = createFileDrop()
    expect(await drop.append(delivery(1, '2026-11-20T09:00:00Z'))).toEqual({ kind: 'appended', file: file('2026-11-20') })
    expect(await drop.append(delivery(2, '2026-11-20T17:00:00Z'))).toEqual({ kind: 'appended', file: file('2026-11-20') })
    expect(readFileSync(file('2026-11-20'), 'utf8')).toBe(HEADER + row(1) + row(2))
    // no temporary file is left behind
    expect(readdirSync(directory)).toEqual([`${PARTNERSHIP}-referrals-2026-11-20.csv`])
  })

  it('starts a new file on the England calendar day: 23:30 UTC in summer is the next day', async () => {
    const drop = createFileDrop()
    await drop.append(delivery(1, '2026-05-31T22:59:00Z'))
    await drop.append(delivery(2, '2026-05-31T23:30:00Z'))
    expect(readFileSync(file('2026-05-31'), 'utf8')).toBe(HEADER + row(1))
    expect(readFileSync(file('2026-06-01'), 'utf8')).toBe(HEADER + row(2))
  })

  it('never appends the same referral twice: a repeat finds its row, today or yesterday', async () => {
    const drop = createFileDrop()
    await drop.append(delivery(1, '2026-11-20T23:59:00Z'))
    // the worker died after the write and before recording it; the retry comes after midnight
    expect(await drop.append(delivery(1, '2026-11-21T00:01:00Z'))).toEqual({ kind: 'already-there', file: file('2026-11-20') })
    expect(await drop.append(delivery(1, '2026-11-20T23:59:30Z'))).toEqual({ kind: 'already-there', file: file('2026-11-20') })
    expect(readFileSync(file('2026-11-20'), 'utf8')).toBe(HEADER + row(1))
    expect(readdirSync(directory)).toHaveLength(1)
  })

  it('sees rows another writer appended after it last looked, and a file replaced by a shorter one', async () => {
    const drop = createFileDrop()
    await drop.append(delivery(1, '2026-11-20T09:00:00Z'))
    // a worker in another process wrote sr-2's row and died before recording it
    appendFileSync(file('2026-11-20'), row(2))
    expect((await drop.append(delivery(2, '2026-11-20T09:05:00Z'))).kind).toBe('already-there')
    expect(readFileSync(file('2026-11-20'), 'utf8')).toBe(HEADER + row(1) + row(2))
    // the partnership's collector replaced the file with one holding only sr-3
    writeFileSync(file('2026-11-20'), HEADER + row(3))
    expect((await drop.append(delivery(3, '2026-11-20T10:00:00Z'))).kind).toBe('already-there')
    expect((await drop.append(delivery(1, '2026-11-20T10:01:00Z'))).kind).toBe('appended')
  })

  it('finds yesterday\'s row after the 23-hour day of the spring clock change', async () => {
    const drop = createFileDrop()
    // 29 March 2026 runs 00:00 GMT to 00:00 BST (23:00 UTC): 23 hours
    await drop.append(delivery(1, '2026-03-29T22:30:00Z'))
    expect(await drop.append(delivery(1, '2026-03-29T23:10:00Z'))).toEqual({ kind: 'already-there', file: file('2026-03-29') })
    expect(readdirSync(directory)).toEqual([`${PARTNERSHIP}-referrals-2026-03-29.csv`])
  })

  it('matches whole referral ids: sr-1 in the file does not hide sr-11, nor sr-11 sr-1', async () => {
    const drop = createFileDrop()
    await drop.append(delivery(1, '2026-11-20T09:00:00Z'))
    expect((await drop.append(delivery(11, '2026-11-20T09:01:00Z'))).kind).toBe('appended')
    await drop.append(delivery(22, '2026-11-21T09:00:00Z'))
    expect((await drop.append(delivery(2, '2026-11-21T09:01:00Z'))).kind).toBe('appended')
  })

  it('gives one header and every row when many referrals arrive at once for a new file', async () => {
    const drop = createFileDrop()
    const results = await Promise.all(Array.from({ length: 25 }, async (_, i) => drop.append(delivery(i, '2026-11-20T09:00:00Z'))))
    expect(results.every((r) => r.kind === 'appended')).toBe(true)
    const text = readFileSync(file('2026-11-20'), 'utf8')
    expect(text.startsWith(HEADER)).toBe(true)
    expect(text.split(HEADER)).toHaveLength(2)
    expect(text.length).toBe(HEADER.length + Array.from({ length: 25 }, (_, i) => row(i).length).reduce((a, b) => a + b, 0))
    for (let i = 0; i < 25; i++) expect(text).toContain(`\r\n${row(i)}`)
  })

  it('keeps a file another writer created first, header and all', async () => {
    const drop = createFileDrop()
    mkdirSync(directory, { recursive: true })
    writeFileSync(file('2026-11-20'), HEADER + row(7))
    await drop.append(delivery(8, '2026-11-20T10:00:00Z'))
    expect(readFileSync(file('2026-11-20'), 'utf8')).toBe(HEADER + row(7) + row(8))
  })

  it('appends a later row of the same referral (its cancellation), and writes an identical row once', async () => {
    const withStatus: Mapping = { ...mapping, fields: [...mapping.fields, { name: 'STATUS', path: 'status' }, { name: 'TASK_STATUS', path: '%task.status' }] }
    const at = (serviceRequest: ServiceRequest, task: Task, when: string): DropDelivery => {
      const result = mapReferral(withStatus, { serviceRequest, task })
      if (!result.ok) throw new Error('the fixture must map')
      return { partnershipId: PARTNERSHIP, directory, referralId: 'sr-1', mapped: result, at: new Date(when) }
    }
    const referral = nclServiceRequest('sr-1')
    const task = triageTask('sr-1', 'task-1')
    const drop = createFileDrop()
    expect((await drop.append(at(referral, task, '2026-11-20T09:00:00Z'))).kind).toBe('appended')
    const revoked = at({ ...referral, status: 'revoked' }, { ...task, status: 'cancelled' }, '2026-11-20T09:05:00Z')
    expect(await drop.append(revoked)).toEqual({ kind: 'appended', file: file('2026-11-20') })
    // a second delivery of the referral as it now stands (revoked) is the same record: once only
    expect(await drop.append({ ...revoked, at: new Date('2026-11-20T09:06:00Z') })).toEqual({ kind: 'already-there', file: file('2026-11-20') })
    const records = readFileSync(file('2026-11-20'), 'utf8').split(/\r\n(?=sr-|$)/).filter((r) => r !== '')
    expect(records[0]).toBe('REFERRAL_ID,taskId,partnershipId,SURNAME,NOTE,STATUS,TASK_STATUS')
    expect(records.slice(1).map((r) => r.split(',').slice(-2).join(','))).toEqual(['active,requested', 'revoked,cancelled'])
  })

  it('never puts rows of a new column layout under an old header: they go to the day\'s next part', async () => {
    mkdirSync(directory, { recursive: true })
    // written earlier today by the previous mapping version (no status columns)
    writeFileSync(file('2026-11-20'), HEADER + row(7))
    const withStatus: Mapping = { ...mapping, fields: [...mapping.fields, { name: 'STATUS', path: 'status' }] }
    const mapped = (n: number): DropDelivery => {
      const result = mapReferral(withStatus, { serviceRequest: nclServiceRequest(`sr-${n}`), task: triageTask(`sr-${n}`, `task-${n}`) })
      if (!result.ok) throw new Error('the fixture must map')
      return { partnershipId: PARTNERSHIP, directory, referralId: `sr-${n}`, mapped: result, at: new Date('2026-11-20T10:00:00Z') }
    }
    const drop = createFileDrop()
    const part2 = path.join(directory, `${PARTNERSHIP}-referrals-2026-11-20-2.csv`)
    expect(await drop.append(mapped(8))).toEqual({ kind: 'appended', file: part2 })
    expect(await drop.append(mapped(9))).toEqual({ kind: 'appended', file: part2 })
    expect(await drop.append(mapped(8))).toEqual({ kind: 'already-there', file: part2 })
    // the old file is untouched, and an old-layout row still goes to it
    expect(readFileSync(file('2026-11-20'), 'utf8')).toBe(HEADER + row(7))
    expect(await drop.append(delivery(10, '2026-11-20T10:05:00Z'))).toEqual({ kind: 'appended', file: file('2026-11-20') })
    const newRow = (n: number): string => `sr-${n},task-${n},${PARTNERSHIP},Okafor,"line one\nline two, quoted",active\r\n`
    expect(readFileSync(part2, 'utf8')).toBe('REFERRAL_ID,taskId,partnershipId,SURNAME,NOTE,STATUS\r\n' + newRow(8) + newRow(9))
    // a fresh process (empty indexes) finds the same parts
    expect(await createFileDrop().append(mapped(9))).toEqual({ kind: 'already-there', file: part2 })
  })

  it('reads a quoted value holding a CRLF as part of its record (RFC 4180), so its repeat is found', async () => {
    const crlf: Mapping = { ...mapping, fields: [{ name: 'NOTE', path: "'first line' + '\r\n' + 'second line'" }] }
    const result = mapReferral(crlf, { serviceRequest: nclServiceRequest('sr-5'), task: triageTask('sr-5', 'task-5') })
    if (!result.ok) throw new Error('the fixture must map')
    const d: DropDelivery = { partnershipId: PARTNERSHIP, directory, referralId: 'sr-5', mapped: result, at: new Date('2026-11-20T09:00:00Z') }
    expect((await createFileDrop().append(d)).kind).toBe('appended')
    expect((await createFileDrop().append(d)).kind).toBe('already-there')
    expect(readFileSync(file('2026-11-20'), 'utf8')).toBe('REFERRAL_ID,taskId,partnershipId,NOTE\r\nsr-5,task-5,herefordshire-and-worcestershire,"first line\r\nsecond line"\r\n')
  })

  it('reports a folder it cannot write as a failure with the error code, never throwing', async () => {
    const drop = createFileDrop()
    writeFileSync(path.join(root, 'drops'), 'not a folder')
    expect(await drop.append(delivery(1, '2026-11-20T09:00:00Z'))).toEqual({ kind: 'failure', error: 'file drop: ENOTDIR' })
  })
})
