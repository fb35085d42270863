import { createPrivateKey, X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { ConfigError } from '../config.ts'

type Env = Record<string, string | undefined>

/** HTTPS and client-certificate settings (WORKWELL_TLS_*), checked once at start. */
export interface TlsConfig {
  certFile: string
  keyFile: string
  /** PEM bundle: when set, every connection must present a certificate issued under it */
  clientCaFile?: string
  /**
   * WORKWELL_BARS_PROXY_SUBJECTS: certificate subject CNs or SAN DNS names of the trusted BaRS
   * proxies; a connection whose verified certificate names one is the proxy (src/auth/proxy-identity.ts)
   */
  proxySubjects: readonly string[]
}

/** The PEM material of a {@link TlsConfig}, as read from its files. */
export interface TlsMaterial {
  cert: string
  key: string
  ca?: string
}

/** What a proxy subject may look like: a DNS name or a CN made of the same characters. */
const SUBJECT = /^[A-Za-z0-9*]([A-Za-z0-9.*-]{0,252}[A-Za-z0-9])?$/
const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g

function readPem (variable: string, file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (err) {
    // the code (ENOENT, EACCES) and the path are safe to print; both name what to fix
    throw new ConfigError(variable, `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`)
  }
}

function certificates (variable: string, pem: string): X509Certificate[] {
  const blocks = pem.match(PEM_BLOCK) ?? []
  if (blocks.length === 0) throw new ConfigError(variable, 'expected PEM certificates (-----BEGIN CERTIFICATE-----)')
  return blocks.map((b) => {
    try {
      return new X509Certificate(b)
    } catch {
      throw new ConfigError(variable, 'holds a PEM block that is not an X.509 certificate')
    }
  })
}

/**
 * Reads and checks the files of a TLS configuration: each readable, the certificate and the
 * CA bundle X.509, the key a private key that belongs to the certificate. Used at start (a
 * problem is a ConfigError naming the variable) and on every SIGHUP reload.
 */
export function readTlsMaterial (tls: TlsConfig): TlsMaterial {
  const cert = readPem('WORKWELL_TLS_CERT', tls.certFile)
  const key = readPem('WORKWELL_TLS_KEY', tls.keyFile)
  const [leaf] = certificates('WORKWELL_TLS_CERT', cert)
  let privateKey
  try {
    privateKey = createPrivateKey(key)
  } catch {
    throw new ConfigError('WORKWELL_TLS_KEY', 'expected an unencrypted PEM private key')
  }
  if (leaf === undefined || !leaf.checkPrivateKey(privateKey)) throw new ConfigError('WORKWELL_TLS_KEY', 'the key does not belong to the certificate in WORKWELL_TLS_CERT')
  if (tls.clientCaFile === undefined) return { cert, key }
  const ca = readPem('WORKWELL_TLS_CLIENT_CA', tls.clientCaFile)
  certificates('WORKWELL_TLS_CLIENT_CA', ca)
  return { cert, key, ca }
}

/**
 * WORKWELL_TLS_CERT, WORKWELL_TLS_KEY, WORKWELL_TLS_CLIENT_CA and WORKWELL_BARS_PROXY_SUBJECTS.
 * Unset certificate and key is plain HTTP (the development default); one without the other,
 * a client CA or proxy subjects without HTTPS, or proxy subjects without a client CA (nothing
 * would verify the proxy's certificate) stop the start.
 * @returns undefined for plain HTTP
 */
export function loadTlsConfig (env: Env, cwd: string): TlsConfig | undefined {
  const value = (name: string): string | undefined => {
    const raw = (env[name] ?? '').trim()
    return raw === '' ? undefined : raw
  }
  const cert = value('WORKWELL_TLS_CERT')
  const key = value('WORKWELL_TLS_KEY')
  const ca = value('WORKWELL_TLS_CLIENT_CA')
  const subjects = (value('WORKWELL_BARS_PROXY_SUBJECTS') ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '')
  if (cert === undefined && key === undefined) {
    if (ca !== undefined) throw new ConfigError('WORKWELL_TLS_CLIENT_CA', 'needs WORKWELL_TLS_CERT and WORKWELL_TLS_KEY (client certificates are only asked for over HTTPS)')
    if (subjects.length > 0) throw new ConfigError('WORKWELL_BARS_PROXY_SUBJECTS', 'needs HTTPS with client certificates (WORKWELL_TLS_CERT, WORKWELL_TLS_KEY and WORKWELL_TLS_CLIENT_CA)')
    return undefined
  }
  if (cert === undefined) throw new ConfigError('WORKWELL_TLS_CERT', 'is required when WORKWELL_TLS_KEY is set')
  if (key === undefined) throw new ConfigError('WORKWELL_TLS_KEY', 'is required when WORKWELL_TLS_CERT is set')
  if (subjects.length > 0 && ca === undefined) throw new ConfigError('WORKWELL_BARS_PROXY_SUBJECTS', 'needs WORKWELL_TLS_CLIENT_CA: a proxy is known by a certificate the gateway has verified')
  const bad = subjects.find((s) => !SUBJECT.test(s))
  if (bad !== undefined) throw new ConfigError('WORKWELL_BARS_PROXY_SUBJECTS', `"${bad}" is not a certificate subject CN or DNS name`)
  const config: TlsConfig = {
    certFile: path.resolve(cwd, cert),
    keyFile: path.resolve(cwd, key),
    ...(ca === undefined ? {} : { clientCaFile: path.resolve(cwd, ca) }),
    proxySubjects: subjects.map((s) => s.toLowerCase())
  }
  readTlsMaterial(config)
  return config
}
