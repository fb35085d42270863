import type { Task } from '@medplum/fhirtypes'
import { describe, expect, it } from 'vitest'
import { describeLink, duplicateLinks, flagDuplicates, linkAudit, patientKey, POSSIBLE_DUPLICATE, REFERRAL_LINK_SYSTEM, windowStart } from '../../../src/intake/duplicate-referrals.ts'
import type { KeyedReferral } from '../../../src/store/store.ts'

const KEY = 'k'.repeat(32)

const earlier = (over: Partial<KeyedReferral> = {}): KeyedReferral => ({
  serviceRequestId: 'sr-1', taskId: 'task-1', reference: 'WW-00000-0000A', owner: 'greater-manchester', requesterOds: 'Y02720', acceptedAt: '2026-12-01T10:00:00.000Z', ...over
})

describe('patientKey', () => {
  it('is a keyed digest: not the number, the same for the same number and key, different under another key or number', () => {
    const k = patientKey('9990634750', KEY)
    expect(k).not.toContain('9990634750')
    expect(k).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(patientKey('999 063 4750', KEY)).toBe(k)
    expect(patientKey('9990634750', 'x'.repeat(32))).not.toBe(k)
    expect(patientKey('9990080429', KEY)).not.toBe(k)
  })
})

describe('windowStart', () => {
  it('goes back the configured number of whole days', () => {
    expect(windowStart(new Date('2026-12-29T10:00:00.000Z'), 28)).toBe('2026-12-01T10:00:00.000Z')
    expect(windowStart(new Date('2026-12-29T10:00:00.000Z'), 1)).toBe('2026-12-28T10:00:00.000Z')
  })
})

describe('duplicateLinks', () => {
  it('names the reference of an earlier referral by the same practice, to the same partnership', () => {
    expect(duplicateLinks([earlier()], { requesterOds: 'Y02720', partnershipId: 'greater-manchester' })).toEqual([
      { taskId: 'task-1', acceptedOn: '2026-12-01', reference: 'WW-00000-0000A', partnershipId: 'greater-manchester', otherPartnership: false, samePractice: true }
    ])
  })

  it('keeps another practice\'s reference out (its referrer reads the new Task) but says the day and the partnership', () => {
    const [link] = duplicateLinks([earlier()], { requesterOds: 'H81097', partnershipId: 'frimley' })
    expect(link).toEqual({ taskId: 'task-1', acceptedOn: '2026-12-01', partnershipId: 'greater-manchester', otherPartnership: true, samePractice: false })
    expect(describeLink(link!)).toBe('referral from another practice, accepted 2026-12-01, to another partnership, greater-manchester')
    expect(describeLink(link!)).not.toContain('WW-')
  })

  it('treats referrals without an ODS code as another practice\'s, on either side', () => {
    expect(duplicateLinks([earlier({ requesterOds: undefined })], { partnershipId: 'greater-manchester' })[0]?.samePractice).toBe(false)
    expect(duplicateLinks([earlier()], { partnershipId: 'greater-manchester' })[0]?.samePractice).toBe(false)
  })

  it('takes the acceptance day in England (BST), not UTC', () => {
    expect(duplicateLinks([earlier({ acceptedAt: '2026-06-01T23:30:00.000Z' })], { partnershipId: 'x' })[0]?.acceptedOn).toBe('2026-06-02')
  })

  it('says so when the same practice\'s earlier referral has no reference', () => {
    const [link] = duplicateLinks([earlier({ reference: undefined })], { requesterOds: 'Y02720', partnershipId: 'frimley' })
    expect(describeLink(link!)).toBe('referral without a reference from this practice, accepted 2026-12-01, to another partnership, greater-manchester')
  })
})

describe('flagDuplicates', () => {
  const task: Task = { resourceType: 'Task', status: 'requested', intent: 'order', note: [{ text: 'Referral reference WW-1.' }], input: [{ type: { text: 'kept' }, valueString: 'x' }] }

  it('adds nothing without links', () => {
    expect(flagDuplicates(task, [], 28, '2026-12-06T00:00:00.000Z')).toBe(task)
  })

  it('adds one coded input per link and a note after the existing ones, leaving the Task it was given unchanged', () => {
    const links = duplicateLinks([earlier(), earlier({ taskId: 'task-2', requesterOds: 'H81097', owner: 'frimley' })], { requesterOds: 'Y02720', partnershipId: 'greater-manchester' })
    const flagged = flagDuplicates(task, links, 28, '2026-12-06T00:00:00.000Z')
    expect(task.input).toHaveLength(1)
    expect(task.note).toHaveLength(1)
    expect(flagged.input?.slice(1)).toEqual([
      { type: { coding: [{ system: REFERRAL_LINK_SYSTEM, code: POSSIBLE_DUPLICATE, display: 'Possible duplicate referral' }] }, valueString: 'referral WW-00000-0000A from this practice, accepted 2026-12-01, to this partnership' },
      { type: { coding: [{ system: REFERRAL_LINK_SYSTEM, code: POSSIBLE_DUPLICATE, display: 'Possible duplicate referral' }] }, valueString: 'referral from another practice, accepted 2026-12-01, to another partnership, frimley' }
    ])
    expect(flagged.note?.[0]).toEqual(task.note?.[0])
    expect(flagged.note?.[1]).toEqual({
      time: '2026-12-06T00:00:00.000Z',
      text: 'Possible duplicate: the same NHS number was referred in the last 28 days (referral WW-00000-0000A from this practice, accepted 2026-12-01, to this partnership; referral from another practice, accepted 2026-12-01, to another partnership, frimley). Both referrals are kept and delivered; check before acting on either.'
    })
  })

  it('says in the note when there were more earlier referrals than are linked', () => {
    const links = duplicateLinks([earlier(), earlier({ taskId: 'task-2' })], { requesterOds: 'Y02720', partnershipId: 'greater-manchester' })
    const text = flagDuplicates(task, links, 28, 'T', true).note?.at(-1)?.text ?? ''
    expect(text).toMatch(/^Possible duplicate: the same NHS number was referred in the last 28 days \(more than 2 times; the latest 2: referral WW-00000-0000A/)
    expect(flagDuplicates(task, links, 28, 'T').note?.at(-1)?.text).not.toContain('more than')
  })

  it('works on a Task with no inputs or notes yet', () => {
    const flagged = flagDuplicates({ resourceType: 'Task', status: 'requested', intent: 'order' }, duplicateLinks([earlier()], { partnershipId: 'p' }), 7, 'T')
    expect(flagged.input).toHaveLength(1)
    expect(flagged.note).toHaveLength(1)
    expect(flagged.note?.[0]?.text).toContain('in the last 7 days')
  })
})

describe('linkAudit', () => {
  it('records one execute event per earlier Task, under the new referral\'s correlation id', () => {
    let n = 0
    const links = duplicateLinks([earlier(), earlier({ taskId: 'task-2' })], { partnershipId: 'p' })
    expect(linkAudit(links, () => `a${n++}`, new Date('2026-12-06T00:00:00.000Z'), 'client/x', 'corr-1')).toEqual([
      { id: 'a0', recorded: '2026-12-06T00:00:00.000Z', action: 'E', subtype: 'duplicate-link', outcome: '0', agent: 'client/x', entity: 'Task/task-1', correlationId: 'corr-1' },
      { id: 'a1', recorded: '2026-12-06T00:00:00.000Z', action: 'E', subtype: 'duplicate-link', outcome: '0', agent: 'client/x', entity: 'Task/task-2', correlationId: 'corr-1' }
    ])
  })
})
