import { runDeliveryBench } from './delivery.ts'
import { runIntakeBench } from './intake.ts'
import { runValidationBench } from './validation.ts'

/**
 * `npm run bench [-- --json] [-- --quick] [-- --data-dir DIR] [-- --only validation|intake|delivery] [-- --soak]`: prints each figure with the
 * baseline measured in the same run and their ratio; --json prints one JSON object per line.
 */
async function main (args: string[]): Promise<void> {
  const json = args.includes('--json')
  const quick = args.includes('--quick')
  const dirFlag = args.indexOf('--data-dir')
  const dataRoot = dirFlag >= 0 ? args[dirFlag + 1] : undefined
  const log = (line: string): void => { if (!json) process.stdout.write(`${line}\n`) }
  const onlyFlag = args.indexOf('--only')
  const only = onlyFlag >= 0 ? args[onlyFlag + 1] : undefined
  if (only === undefined || only === 'validation') {
    await runValidationBench({ json, print: (line) => { process.stdout.write(`${line}\n`) } })
  }
  if (only === undefined || only === 'intake') {
    await runIntakeBench({ json, quick, soak: args.includes('--soak'), ...(dataRoot === undefined ? {} : { dataRoot }), print: (line) => { process.stdout.write(`${line}\n`) } })
  }
  if (only !== undefined && only !== 'delivery') {
    return
  }
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
      process.stdout.write(`${JSON.stringify({ name: r.name, value: r.value, unit: r.unit, baseline: r.baseline, ratio: r.ratio, goal: r.goal, met: r.met })}\n`)
    } else {
      process.stdout.write(`${r.name}: ${r.value} ${r.unit} (baseline ${r.baseline} ${r.unit === 's' ? 's at the raw POST rate' : r.unit === 'µs' ? 'µs per raw undici POST' : r.name === 'delivery-degraded-partner' ? 'deliveries/s through a healthy partner' : 'raw undici POSTs/s'}, ratio ${r.ratio}; goal ${r.goal}: ${r.met ? 'met' : 'NOT met'})\n`)
    }
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
  process.exit(1)
})
