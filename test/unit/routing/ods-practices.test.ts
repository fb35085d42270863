import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadOdsPractices, parseEpraccur, practicesCommissionedBy } from '../../../src/routing/ods-practices.ts'

const SAMPLE = path.resolve(import.meta.dirname, '../../../fixtures/ods/epraccur-sample.csv')

describe('ODS epraccur practice file', () => {
  it('reads the practice code, status, ICB and commissioner of every row, quoted commas and quotes included', async () => {
    const ods = await loadOdsPractices(SAMPLE)
    expect(ods.size).toBe(6)
    expect(ods.get('F83674')).toStrictEqual({ code: 'F83674', status: 'A', icb: 'QMJ', commissioner: '93C' })
    expect(ods.get('Y09902')?.status).toBe('C')
    expect(ods.get('Y09903')).toStrictEqual({ code: 'Y09903', status: 'A', icb: 'QOP', commissioner: '00T' })
  })

  it('lists the active practices of the given sub-ICB locations only', async () => {
    const ods = await loadOdsPractices(SAMPLE)
    expect(practicesCommissionedBy(ods, ['93C'])).toStrictEqual(['F83674', 'Y09901'])
    expect(practicesCommissionedBy(ods, ['00R', '00X'])).toStrictEqual(['Y09001'])
    expect(practicesCommissionedBy(ods, [])).toStrictEqual([])
  })

  it('refuses a row that is not a practice row, naming its line, and a file it cannot read, naming the file', async () => {
    expect(() => parseEpraccur('"F83674","A","B","QMJ"\n')).toThrow('line 1: not an epraccur practice row')
    expect(() => parseEpraccur(`\n${'"x",'.repeat(20)}"y"`)).toThrow('line 2')
    expect(parseEpraccur('\n\n').size).toBe(0)
    await expect(loadOdsPractices('/nonexistent/epraccur.csv')).rejects.toThrow('/nonexistent/epraccur.csv: ENOENT')
  })
})
