import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import { ASSETS } from './console-layout.ts'
import { CONSOLE_ROUTE } from './console-access.ts'

interface Asset { body: Buffer, type: string }

const NHSUK = 'nhsuk-frontend/dist/nhsuk'
/** The package images the stylesheet and the layout use: table sort arrows, the cross, the favicon. */
const NHSUK_IMAGES = ['favicon.svg', 'nhsuk-icon-arrow-down.svg', 'nhsuk-icon-arrow-up.svg', 'nhsuk-icon-arrow-up-down.svg', 'nhsuk-icon-cross.svg']

function packageFile (relative: string): string {
  return fileURLToPath(import.meta.resolve(`${NHSUK}/${relative}`))
}

/**
 * NHS.UK frontend's compiled stylesheet, made fit to serve from the gateway: its image URLs
 * (compiled for /assets/) point at the console's asset path, and the @font-face rules that
 * fetch Frutiger from the NHS CDN are dropped, so the page uses the Arial fallback the
 * stylesheet names and asks no other origin for anything (the CSP would refuse it anyway).
 */
export function rewriteNhsukCss (css: string, imagesPath: string): string {
  return css
    .replace(/@font-face\{[^}]*https:\/\/[^}]*\}/g, '')
    .replaceAll('url(/assets/images/', `url(${imagesPath}/`)
}

/**
 * The console's static files, by a fixed list of paths read once at start: nothing under
 * node_modules is reachable by a path a request names. Served with the console's own CSP hooks.
 */
export async function loadConsoleAssets (): Promise<Map<string, Asset>> {
  const own = (name: string): string => fileURLToPath(new URL(`./assets/${name}`, import.meta.url))
  const assets = new Map<string, Asset>()
  const css = await readFile(packageFile('nhsuk-frontend.min.css'), 'utf8')
  assets.set(`${ASSETS}/nhsuk-frontend.css`, { body: Buffer.from(rewriteNhsukCss(css, `${ASSETS}/nhsuk/images`)), type: 'text/css; charset=utf-8' })
  assets.set(`${ASSETS}/nhsuk-frontend.js`, { body: await readFile(packageFile('nhsuk-frontend.min.js')), type: 'text/javascript; charset=utf-8' })
  assets.set(`${ASSETS}/console.js`, { body: await readFile(own('console.js')), type: 'text/javascript; charset=utf-8' })
  assets.set(`${ASSETS}/console.css`, { body: await readFile(own('console.css')), type: 'text/css; charset=utf-8' })
  for (const name of NHSUK_IMAGES) {
    assets.set(`${ASSETS}/nhsuk/images/${name}`, { body: await readFile(packageFile(`assets/images/${name}`)), type: 'image/svg+xml' })
  }
  return assets
}

export function assetRoutes (app: FastifyInstance, assets: Map<string, Asset>): void {
  for (const [url, asset] of assets) {
    app.get(url, CONSOLE_ROUTE, async (_request, reply) => {
      // the files change only with a new release; an hour keeps reloads cheap without going stale for long
      await reply.header('Cache-Control', 'public, max-age=3600').type(asset.type).send(asset.body)
    })
  }
}
