import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

/** A certificate and its key, as files and as PEM text. */
export interface Issued {
  certFile: string
  keyFile: string
  cert: string
  key: string
}

/** A certificate authority made for one test run with the openssl CLI. */
export interface TestCa extends Issued {
  /** issues a certificate signed by this CA; dates default to valid from an hour ago for a day */
  issue (cn: string, o?: { dns?: string[], notBefore?: Date, notAfter?: Date, usage?: 'server' | 'client' }): Issued
}

export interface TestPki {
  dir: string
  ca (name: string): TestCa
  /** a PEM bundle file of these CAs */
  bundle (file: string, cas: TestCa[]): string
  remove (): void
}

/** Whether the openssl CLI is on this machine (tests that need it skip with a reason when not). */
export function hasOpenssl (): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

function openssl (args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] })
}

/** openssl ca's date form: YYYYMMDDHHMMSSZ */
function stamp (d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z')
}

/** A scratch PKI in a temporary folder: CAs and certificates with any validity window. */
export function createTestPki (): TestPki {
  const dir = mkdtempSync(path.join(tmpdir(), 'workwell-pki-'))
  let serial = 1
  const ca = (name: string): TestCa => {
    const home = path.join(dir, name)
    mkdirSync(home)
    writeFileSync(path.join(home, 'index.txt'), '')
    writeFileSync(path.join(home, 'serial'), '1000\n')
    const keyFile = path.join(home, 'ca.key')
    const certFile = path.join(home, 'ca.pem')
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', certFile,
      '-days', '2', '-subj', `/CN=${name} Test Root`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], home)
    const conf = path.join(home, 'ca.cnf')
    writeFileSync(conf, [
      '[ca]', 'default_ca = ca_default',
      '[ca_default]', `dir = ${home}`, 'database = $dir/index.txt', 'serial = $dir/serial', 'new_certs_dir = $dir', `certificate = ${certFile}`, `private_key = ${keyFile}`,
      'default_md = sha256', 'policy = any', 'unique_subject = no', 'copy_extensions = copy', 'email_in_dn = no',
      '[any]', 'commonName = supplied', ''
    ].join('\n'))
    return {
      certFile,
      keyFile,
      cert: readFileSync(certFile, 'utf8'),
      key: readFileSync(keyFile, 'utf8'),
      issue: (cn, o = {}) => {
        const base = path.join(home, `${cn.replace(/[^A-Za-z0-9.-]/g, '_')}-${serial++}`)
        const ext = path.join(`${base}.ext`)
        const dns = o.dns ?? []
        writeFileSync(ext, [
          'basicConstraints = CA:FALSE',
          `extendedKeyUsage = ${o.usage === 'client' ? 'clientAuth' : 'serverAuth, clientAuth'}`,
          ...(dns.length === 0 ? [] : [`subjectAltName = ${dns.map((d) => `DNS:${d}`).join(', ')}`]),
          ''
        ].join('\n'))
        openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${cn}`], home)
        const now = Date.now()
        openssl(['ca', '-batch', '-config', conf, '-notext', '-in', `${base}.csr`, '-out', `${base}.pem`, '-extfile', ext,
          '-startdate', stamp(o.notBefore ?? new Date(now - 3_600_000)), '-enddate', stamp(o.notAfter ?? new Date(now + 86_400_000))], home)
        return { certFile: `${base}.pem`, keyFile: `${base}.key`, cert: readFileSync(`${base}.pem`, 'utf8'), key: readFileSync(`${base}.key`, 'utf8') }
      }
    }
  }
  return {
    dir,
    ca,
    bundle: (file, cas) => {
      const out = path.join(dir, file)
      writeFileSync(out, cas.map((c) => c.cert).join(''))
      return out
    },
    remove: () => { rmSync(dir, { recursive: true, force: true }) }
  }
}
