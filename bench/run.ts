import { runDeliveryBench } from './delivery.ts'

/**
 * `npm run bench [-- --json] [-- --quick] [-- --data-dir DIR]`: prints each figure with the
 * baseline measured in the same run and their ratio; --json prints one JSON object per line.
 */
async function main (args: string[]): Promise<void> {
  const json = args.includes('--json')
  const quick = args.includes('--quick')
  const dirFlag = args.indexOf('--data-dir')
  const dataRoot = dirFlag >= 0 ? args[dirFlag + 1] : undefined
  const log = (line: string): void => { if (!json) process.stdout.write(`${line}\n`) }
  const results = await runDeliveryBench({
    throughputRows: quick ? 5_000 : 20_000,
    backlogRows: quick ? 10_000 : 100_000,
    concurrency: 256,
    batchSize: 500,
    connections: 64,
    ...(dataRoot === undefined ? {} : { dataRoot }),
    log
  })
  for (const r of results) {
    if (json) {
      process.stdout.write(`${JSON.stringify({ name: r.name, value: r.value, unit: r.unit, baseline: r.baseline, ratio: r.ratio })}\n`)
    } else {
      process.stdout.write(`${r.name}: ${r.value} ${r.unit} (baseline ${r.baseline} ${r.unit === 's' ? 's at the raw POST rate' : 'raw undici POSTs/s'}, ratio ${r.ratio}; goal ${r.goal}: ${r.met ? 'met' : 'NOT met'})\n`)
    }
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
  process.exit(1)
})
