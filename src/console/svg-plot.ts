import { escapeHtml, trusted, type SafeHtml } from './html.ts'

/**
 * Plots as server-rendered SVG: no script, readable without JavaScript, and each carries a
 * <title> and <desc> so a screen reader hears what it shows; the same numbers are also in a
 * table beside it (WCAG 1.1.1: a text alternative for non-text content).
 */

export interface Series { name: string, className: string, values: readonly number[] }

const W = 720
const H = 290
const PAD = { left: 48, right: 48, top: 12, bottom: 100 }

/** The axis top: a round number that five equal whole ticks divide. */
export function niceMax (max: number): number {
  if (max <= 5) return 5
  const unit = 5 * 10 ** Math.max(0, Math.floor(Math.log10(max)) - 1)
  return Math.ceil(max / unit) * unit
}

function axis (max: number, plotH: number): string {
  return [0, 1, 2, 3, 4, 5].map((i) => (i * max) / 5).map((t) => {
    const y = PAD.top + plotH - (t / max) * plotH
    return `<line class="plot-grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y}" y2="${y}"/><text class="plot-label" x="${PAD.left - 6}" y="${y + 4}" text-anchor="end">${t}</text>`
  }).join('')
}

/** Grouped bars: one group per label, one bar per series. */
export function barChart (title: string, description: string, labels: readonly string[], series: readonly Series[]): SafeHtml {
  const plotW = W - PAD.left - PAD.right
  const plotH = H - PAD.top - PAD.bottom
  const max = niceMax(Math.max(1, ...series.flatMap((s) => s.values)))
  const group = plotW / Math.max(1, labels.length)
  const bar = (group * 0.8) / Math.max(1, series.length)
  const bars = labels.map((label, i) => {
    const x0 = PAD.left + i * group + group * 0.1
    const rects = series.map((s, j) => {
      const v = s.values[i] ?? 0
      const h = (v / max) * plotH
      return `<rect class="${s.className}" x="${(x0 + j * bar).toFixed(1)}" y="${(PAD.top + plotH - h).toFixed(1)}" width="${Math.max(1, bar - 1).toFixed(1)}" height="${h.toFixed(1)}"><title>${escapeHtml(`${label}: ${v} ${s.name}`)}</title></rect>`
    }).join('')
    const lx = x0 + group * 0.4
    return `${rects}<text class="plot-label" transform="translate(${lx.toFixed(1)},${H - PAD.bottom + 8}) rotate(40)">${escapeHtml(label.length > 14 ? `${label.slice(0, 13)}…` : label)}</text>`
  }).join('')
  return frame(title, description, `${axis(max, plotH)}${bars}`, series)
}

/** A line per series over evenly spaced points. */
export function lineChart (title: string, description: string, labels: readonly string[], series: readonly Series[]): SafeHtml {
  const plotW = W - PAD.left - PAD.right
  const plotH = H - PAD.top - PAD.bottom
  const max = niceMax(Math.max(1, ...series.flatMap((s) => s.values)))
  const step = plotW / Math.max(1, labels.length - 1)
  const lines = series.map((s) => {
    const points = s.values.map((v, i) => `${(PAD.left + i * step).toFixed(1)},${(PAD.top + plotH - (v / max) * plotH).toFixed(1)}`).join(' ')
    return `<polyline class="${s.className}" points="${points}"/>`
  }).join('')
  const marks = labels.map((l, i) => (i % 4 === 0 || i === labels.length - 1
    ? `<text class="plot-label" x="${(PAD.left + i * step).toFixed(1)}" y="${H - PAD.bottom + 18}" text-anchor="${i === labels.length - 1 ? 'end' : 'middle'}">${escapeHtml(l)}</text>`
    : '')).join('')
  return frame(title, description, `${axis(max, plotH)}${lines}${marks}`, series)
}

function frame (title: string, description: string, body: string, series: readonly Series[]): SafeHtml {
  const id = title.toLowerCase().replace(/[^a-z0-9]+/g, '-')
  const legend = series.map((s, i) => `<rect class="${s.className}" x="${PAD.left + i * 160}" y="${H - 16}" width="12" height="12"/><text class="plot-label" x="${PAD.left + i * 160 + 18}" y="${H - 6}">${escapeHtml(s.name)}</text>`).join('')
  return trusted(`<svg class="plot" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${id}-title ${id}-desc" xmlns="http://www.w3.org/2000/svg"><title id="${id}-title">${escapeHtml(title)}</title><desc id="${id}-desc">${escapeHtml(description)}</desc>${body}${legend}</svg>`)
}
