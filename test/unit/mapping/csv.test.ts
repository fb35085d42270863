import { describe, expect, it } from 'vitest'
import { csvField, toCsv } from '../../../src/mapping/csv.ts'

describe('csv', () => {
  it.each([
    ['plain', 'plain'],
    ['', ''],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['line\nbreak', '"line\nbreak"'],
    ['cr\rhere', '"cr\rhere"'],
    ['semi;colon', 'semi;colon']
  ])('csvField(%j) is %j', (value, expected) => {
    expect(csvField(value)).toBe(expected)
  })

  it('ends every record, the last too, with CRLF', () => {
    expect(toCsv([['a', 'b'], ['1', '2,3']])).toBe('a,b\r\n1,"2,3"\r\n')
  })
})
