#!/usr/bin/env node
// Browser test of the login and consent page of `oid4vci serve`: pushes an authorization
// request (PAR, PKCE S256), opens GET /authorize in headless Debian Chromium (driven by
// playwright-core), checks the page names the issuer and the credential and has labelled,
// prefilled fields, saves a screenshot, submits the form as served, and checks the redirect to
// the wallet carries code, state and iss (RFC 9207); then redeems the code at the token endpoint.
//
//   node browser/login_page.mjs --issuer http://127.0.0.1:PORT --screenshot out.png
//
// Prints one JSON line: {"ok":true,...} or {"ok":false,"step":..,"error":..}; exit status 0/1.
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { args, b64url, check, fail, launchChromium, out, progress } from './harness.mjs'

const issuer = args.issuer
const screenshot = args.screenshot
const REDIRECT = 'http://127.0.0.1:9/callback' // loopback (RFC 8252 7.3); intercepted, never contacted

async function main() {
  if (!issuer || !screenshot) throw new Error('usage: login_page.mjs --issuer URL --screenshot FILE')
  progress.step = 'metadata'
  const metadata = await (await fetch(`${issuer}/.well-known/openid-credential-issuer`)).json()
  const [configId, config] = Object.entries(metadata.credential_configurations_supported).find(([, c]) => c.scope)
  const credentialName = config.credential_metadata?.display?.[0]?.name ?? configId

  progress.step = 'par'
  const verifier = b64url(randomBytes(32))
  const challenge = b64url(createHash('sha256').update(verifier).digest())
  const state = `st-${b64url(randomBytes(8))}`
  const pushed = await fetch(`${issuer}/par`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      response_type: 'code',
      client_id: 'browser-test-wallet',
      redirect_uri: REDIRECT,
      scope: config.scope,
      state,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }),
  })
  const par = await pushed.json()
  check(pushed.status === 201 && par.request_uri, `PAR 201 with request_uri, got ${pushed.status} ${JSON.stringify(par)}`)

  progress.step = 'launch'
  const { context, close } = await launchChromium()
  try {
    const page = context.pages()[0] ?? (await context.newPage())
    let redirected = null
    await page.route(`${REDIRECT}**`, (route) => {
      redirected = route.request().url()
      return route.fulfill({ status: 200, contentType: 'text/plain', body: 'wallet callback' })
    })

    progress.step = 'page'
    const url = `${issuer}/authorize?${new URLSearchParams({ client_id: 'browser-test-wallet', request_uri: par.request_uri })}`
    const response = await page.goto(url, { timeout: 30_000 })
    check(response.status() === 200, `GET /authorize answers 200, got ${response.status()}`)
    const text = await page.locator('main').innerText()
    check(text.includes(metadata.display?.[0]?.name ?? issuer), 'the page names the issuer')
    check(text.includes(credentialName), `the page names the credential ${credentialName}`)
    check(text.includes('browser-test-wallet'), 'the page names the client')
    const username = await page.getByLabel('User name').inputValue()
    const password = await page.getByLabel('Password').inputValue()
    check(username.length > 0 && password.length > 0, 'the demo user is prefilled')
    const scripts = await page.locator('script').count()
    check(scripts === 0, 'the page has no JavaScript')
    mkdirSync(dirname(screenshot), { recursive: true })
    await page.screenshot({ path: screenshot, fullPage: true })

    progress.step = 'submit'
    await page.getByRole('button', { name: 'Sign in and share' }).click()
    await page.waitForURL(`${REDIRECT}**`, { timeout: 30_000 })
    check(redirected, 'the browser was redirected to the wallet')
    const params = new URL(redirected).searchParams
    check(params.get('code'), 'the redirect carries a code')
    check(params.get('state') === state, 'the redirect echoes state')
    check(params.get('iss') === issuer, `the redirect carries iss=${issuer}, got ${params.get('iss')}`)

    progress.step = 'token'
    const token = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: params.get('code'),
        code_verifier: verifier,
        redirect_uri: REDIRECT,
        client_id: 'browser-test-wallet',
      }),
    })
    const body = await token.json()
    check(token.status === 200 && body.access_token, `token 200, got ${token.status} ${JSON.stringify(body)}`)
    out({ ok: true, screenshot, state, iss: params.get('iss'), credential: credentialName, token_type: body.token_type })
  } finally {
    await close()
  }
}

main().catch(fail)
