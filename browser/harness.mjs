import { chromium } from 'playwright-core'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

// What the browser tests share: their `--name value` arguments, the one JSON line each prints
// ({"ok":true,...} or {"ok":false,"step":..,"error":..} with exit status 1), the step they are
// at (for that error line), and how Chromium is started.

/** The `--name value` pairs of the command line. */
export const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, a, i, all) => (a.startsWith('--') ? [...pairs, [a.slice(2), all[i + 1]]] : pairs), [])
)

/** The step the test is at; set `progress.step` before each. */
export const progress = { step: 'setup' }

/** Prints `obj` as the test's JSON line. */
export const out = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`)

/** Prints the failure line with the current step and exits 1. */
export const fail = (error) => {
  out({ ok: false, step: progress.step, error: String(error?.stack ?? error) })
  process.exit(1)
}

/** Throws unless `cond` holds. */
export const check = (cond, what) => {
  if (!cond) throw new Error(`check failed: ${what}`)
}

/** Base64url of bytes or a string. */
export const b64url = (data) => Buffer.from(data).toString('base64url')

// The network is closed: without these flags Chromium waits on connections it cannot make.
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/**
 * Debian's Chromium with a fresh profile and `options` over the defaults (headless, these
 * flags, 60 s to start). `close` closes it and removes the profile.
 */
export async function launchChromium(options = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'oid4vci-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_FLAGS,
    timeout: 60_000,
    ...options,
  })
  const close = async () => {
    await context.close()
    rmSync(profile, { recursive: true, force: true })
  }
  return { context, close }
}
