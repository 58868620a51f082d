#!/usr/bin/env node
// Browser test of the operator console of `oid4vci serve` (`/console`, over HTTPS, wallet
// debugging mode on), in headless Debian Chromium driven by playwright-core:
//
//  1. signs in with the admin token (a wrong token first: refused);
//  2. makes an offer on the "New offer" page (the page shows the URI, a QR code and a copy
//     button), and has the npm wallet (interop/wallet.mjs, @openid4vc/openid4vci) redeem it;
//  3. opens the session page of a second offer, then acts as a wallet whose key proof names
//     the wrong audience: the page shows the proof_rejected event with its diagnostic code,
//     live (no reload), the same code the wallet got;
//  4. revokes the first session's credential with its Revoke button; a relying party's status
//     check (interop/status-list.mjs, @sd-jwt/jwt-status-list) reads 0 before, 1 after;
//  5. sends a request with an unknown access token: the "Refused requests" page shows it live,
//     without the token;
//  6. watches the session list pick up a new offer live;
//  7. without JavaScript: signs in, lists sessions and makes an offer (forms and pages work);
//  8. checks that every form control of every page has a label;
//  9. saves screenshots of each page into --screenshots DIR.
//
//   NODE_EXTRA_CA_CERTS=cert.pem node browser/console.mjs --issuer https://127.0.0.1:PORT \
//       --token ADMIN_TOKEN --screenshots DIR
//
// Prints one JSON line: {"ok":true,...} or {"ok":false,"step":..,"error":..}; exit status 0/1.
import { execFileSync } from 'node:child_process'
import { generateKeyPairSync, sign } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { args, b64url, check, CHROMIUM_FLAGS, fail, launchChromium, out, progress } from './harness.mjs'

const { issuer, token, screenshots } = args
const repo = join(dirname(fileURLToPath(import.meta.url)), '..')
// The issuer's certificate is made for this run; the wallet side trusts it by NODE_EXTRA_CA_CERTS.
const FLAGS = [...CHROMIUM_FLAGS, '--ignore-certificate-errors']

/// Form controls (not hidden) without a label on the page.
const unlabelled = (page) =>
  page.evaluate(() =>
    [...document.querySelectorAll('input, select, textarea')]
      .filter((c) => c.type !== 'hidden' && c.labels.length === 0 && !c.getAttribute('aria-label'))
      .map((c) => c.name || c.id)
  )

/// Runs one of the interop scripts (the npm wallet, the status check) and returns its JSON line.
function interop(script, scriptArgs) {
  let stdout
  try {
    stdout = execFileSync('node', [join(repo, 'interop', script), ...scriptArgs], { encoding: 'utf8', timeout: 120_000 })
  } catch (e) {
    throw new Error(`${script} failed: ${e.stdout ?? ''} ${e.stderr ?? ''}`)
  }
  return JSON.parse(stdout.trim().split('\n').pop())
}

async function admin(path, body) {
  const response = await fetch(`${issuer}${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  })
  const json = await response.json()
  check(response.ok, `${path}: ${response.status} ${JSON.stringify(json)}`)
  return json
}

/// A wallet whose key proof is signed for the wrong audience: token, nonce, credential.
async function walletWithWrongAudience(offerUri, configurationId) {
  const offer = JSON.parse(new URL(offerUri).searchParams.get('credential_offer'))
  const code = offer.grants['urn:ietf:params:oauth:grant-type:pre-authorized_code']['pre-authorized_code']
  const tokenResponse = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:pre-authorized_code', 'pre-authorized_code': code }),
  })
  const tokens = await tokenResponse.json()
  check(tokenResponse.status === 200, `token: ${JSON.stringify(tokens)}`)
  const { c_nonce: nonce } = await (await fetch(`${issuer}/nonce`, { method: 'POST' })).json()
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const { kty, crv, x, y } = publicKey.export({ format: 'jwk' })
  const header = { typ: 'openid4vci-proof+jwt', alg: 'ES256', jwk: { kty, crv, x, y } }
  const claims = { aud: 'https://wrong-audience.example', iat: Math.floor(Date.now() / 1000), nonce }
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`
  const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' })
  const response = await fetch(`${issuer}/credential`, {
    method: 'POST',
    headers: { authorization: `${tokens.token_type} ${tokens.access_token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ credential_configuration_id: configurationId, proofs: { jwt: [`${input}.${b64url(signature)}`] } }),
  })
  const refused = await response.json()
  check(response.status === 400 && refused.diagnostic?.code, `the proof is refused with a diagnostic: ${JSON.stringify(refused)}`)
  return refused
}

async function main() {
  if (!issuer || !token || !screenshots) throw new Error('usage: console.mjs --issuer URL --token T --screenshots DIR')
  mkdirSync(screenshots, { recursive: true })
  const shot = (page, name) => page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true })
  const metadata = await (await fetch(`${issuer}/.well-known/openid-credential-issuer`)).json()
  const [configurationId] = Object.entries(metadata.credential_configurations_supported).find(([, c]) => c.format === 'dc+sd-jwt')

  progress.step = 'launch'
  const { context, close } = await launchChromium({ args: FLAGS, viewport: { width: 1280, height: 900 } })
  const result = { ok: true }
  try {
    const page = context.pages()[0] ?? (await context.newPage())
    const errors = []
    page.on('pageerror', (e) => errors.push(String(e)))
    page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && errors.push(m.text()))

    progress.step = 'sign-in'
    await page.goto(`${issuer}/console`)
    check(page.url().endsWith('/console/sign-in'), `signed out, /console leads to the sign-in page, got ${page.url()}`)
    await page.getByLabel('Admin token').fill('wrong-token')
    await page.getByRole('button', { name: 'Sign in' }).click()
    check((await page.locator('#sign-in-error').innerText()).includes('not this issuer'), 'a wrong token is refused')
    await shot(page, 'console-sign-in')
    await page.getByLabel('Admin token').fill(token)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL(`${issuer}/console`)
    const cookies = await context.cookies(`${issuer}/console`)
    const session = cookies.find((c) => c.name === 'oid4vci_console')
    check(session?.httpOnly && session.secure && session.sameSite === 'Strict', `the sign-in cookie is HttpOnly, Secure, SameSite=Strict: ${JSON.stringify(session)}`)

    progress.step = 'new offer'
    await page.getByRole('link', { name: 'New offer' }).click()
    for (const box of await page.locator('input[name=configuration]').all()) await box.uncheck()
    await page.locator(`input[name=configuration][value="${configurationId}"]`).check()
    await page.getByLabel(/^Claims/).fill(JSON.stringify({ given_name: 'Erika', family_name: 'Mustermann' }))
    result.unlabelled = [...(await unlabelled(page))]
    await page.getByRole('button', { name: 'Create the offer' }).click()
    await page.waitForSelector('#offer-qr')
    const offerUri = await page.locator('#offer-uri').inputValue()
    check(offerUri.startsWith('openid-credential-offer://'), `the page shows the offer URI: ${offerUri}`)
    check(await page.locator('#offer-qr path').count() > 0, 'the page shows the QR code')
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: issuer })
    await page.locator('#copy-offer').click()
    await page.waitForFunction(() => document.getElementById('copy-status').textContent.length > 0)
    result.copy = await page.locator('#copy-status').innerText()
    await shot(page, 'console-offer')
    const firstSession = (await page.locator('#session-link').getAttribute('href')).split('/').pop()

    progress.step = 'npm wallet redeems the console offer'
    const obtained = interop('wallet.mjs', ['--offer', offerUri])
    check(obtained.ok === true && obtained.credential, `the npm wallet obtained the credential: ${JSON.stringify(obtained).slice(0, 400)}`)
    result.wallet_claims = obtained.claims

    progress.step = 'live proof diagnostic'
    const second = await admin('/admin/offers', { credential_configuration_ids: [configurationId], claims: { given_name: 'Max' } })
    await page.goto(`${issuer}/console/sessions/${second.session_id}`)
    await page.waitForFunction(() => document.getElementById('session-live')?.dataset.liveState === 'open')
    await page.evaluate(() => {
      window.notReloaded = true
    })
    const refused = await walletWithWrongAudience(second.credential_offer_uri, configurationId)
    const code = page.locator('tr[data-event="proof_rejected"] .diagnostic-code')
    await code.waitFor({ timeout: 15_000 })
    result.diagnostic_code_page = await code.innerText()
    result.diagnostic_code_wallet = refused.diagnostic.code
    check(await page.evaluate(() => window.notReloaded === true), 'the page updated without a reload')
    await page.locator('tr[data-event="proof_rejected"] details.proof summary').click()
    await shot(page, 'console-session-refused-proof')

    progress.step = 'revoke'
    const status = () => interop('status-list.mjs', ['--credential', obtained.credential]).status
    result.status_before = status()
    await page.goto(`${issuer}/console/sessions/${firstSession}`)
    check((await page.locator('#session-state').innerText()).match(/issued|notified/), 'the redeemed session is issued')
    await page.getByRole('button', { name: 'Revoke', exact: true }).click()
    await page.waitForSelector('#notice')
    check((await page.locator('.credential-status').first().innerText()) === 'revoked', 'the page shows the credential revoked')
    result.status_after = status()
    await shot(page, 'console-session-revoked')

    progress.step = 'wallet debugging mode'
    await page.goto(`${issuer}/console/refused`)
    await page.waitForFunction(() => document.getElementById('refused-rows')?.dataset.liveState === 'open')
    const before = await page.locator('article.refused').count()
    const unknown = await fetch(`${issuer}/credential`, {
      method: 'POST',
      headers: { authorization: 'Bearer UNKNOWN-TOKEN-0123456789', 'content-type': 'application/json' },
      body: JSON.stringify({ credential_configuration_id: configurationId }),
    })
    check(unknown.status === 401, `an unknown token gets 401, got ${unknown.status}`)
    await page.waitForFunction((n) => document.querySelectorAll('article.refused').length > n, before, { timeout: 15_000 })
    const newest = page.locator('article.refused').first()
    check((await newest.innerText()).includes('invalid_token'), 'the newest refused request says invalid_token')
    await newest.locator('summary').click()
    const shown = await newest.innerText()
    check(!shown.includes('UNKNOWN-TOKEN-0123456789') && shown.includes('[redacted]'), 'the token is redacted')
    result.refused_requests = await page.locator('article.refused').count()
    await shot(page, 'console-refused-requests')

    progress.step = 'live session list'
    await page.goto(`${issuer}/console`)
    await page.waitForFunction(() => document.getElementById('session-rows')?.dataset.liveState === 'open')
    const third = await admin('/admin/offers', { credential_configuration_ids: [configurationId] })
    await page.locator(`tr[data-session="${third.session_id}"]`).waitFor({ timeout: 15_000 })
    result.sessions_listed = await page.locator('#session-rows tr[data-session]').count()
    result.unlabelled.push(...(await unlabelled(page)))
    await shot(page, 'console-sessions')
    // The deferred session's page has the claims form.
    await page.goto(`${issuer}/console/sessions/${third.session_id}`)
    check(await page.locator('#claims-json').count() === 1, 'a session without claims offers the claims form')
    result.unlabelled.push(...(await unlabelled(page)))
    check(result.unlabelled.length === 0, `every form control has a label: ${result.unlabelled}`)

    progress.step = 'without JavaScript'
    const { context: plain, close: closePlain } = await launchChromium({ args: FLAGS, javaScriptEnabled: false })
    try {
      const p = plain.pages()[0] ?? (await plain.newPage())
      await p.goto(`${issuer}/console/sign-in`)
      await p.getByLabel('Admin token').fill(token)
      await p.getByRole('button', { name: 'Sign in' }).click()
      await p.waitForURL(`${issuer}/console`)
      check(await p.locator('#session-rows tr[data-session]').count() >= 4, 'the list is rendered by the server')
      await p.goto(`${issuer}/console/offers/new`)
      await p.getByLabel(/^Claims/).fill('{"given_name": "Erika"}')
      await p.getByRole('button', { name: 'Create the offer' }).click()
      check((await p.locator('#offer-uri').inputValue()).startsWith('openid-credential-offer://'), 'an offer without JavaScript')
      result.without_javascript = true
    } finally {
      await closePlain()
    }
    check(errors.length === 0, `no script errors: ${errors.join('; ')}`)
    out(result)
  } finally {
    await close()
  }
}

main().catch(fail)
