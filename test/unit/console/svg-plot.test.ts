import { describe, expect, it } from 'vitest'
import { barChart, lineChart, niceMax } from '../../../src/console/svg-plot.ts'

describe('svg plots', () => {
  it('scales the axis to a round top that five whole ticks divide', () => {
    expect([1, 5, 7, 23, 340, 5001].map(niceMax)).toEqual([5, 5, 10, 25, 350, 5500])
  })

  it('draws one bar per series and label, with a title and description, escaping labels', () => {
    const svg = barChart('Deliveries', 'per partnership', ['a<b', 'c'], [{ name: 'ok', className: 'x', values: [3, 0] }, { name: 'bad', className: 'y', values: [1, 2] }]).value
    expect(svg.match(/<rect class="[xy]"[^>]*><title>/g)).toHaveLength(4)
    expect(svg).toContain('<title id="deliveries-title">Deliveries</title>')
    expect(svg).toContain('role="img"')
    expect(svg).toContain('a&lt;b')
    expect(svg).not.toContain('a<b')
  })

  it('draws a line through every point, the highest at the top of the scale', () => {
    const svg = lineChart('Depth', 'waiting', ['00', '01', '02'], [{ name: 'waiting', className: 'd', values: [0, 5, 2] }]).value
    const points = /points="([^"]+)"/.exec(svg)?.[1]?.split(' ') ?? []
    expect(points).toHaveLength(3)
    expect(points[1]).toBe('360.0,12.0')
  })
})
