#!/usr/bin/env node
// Browser test of the proof checker page (`/tools/proof-check/` of `oid4vci serve`) in headless
// Debian Chromium (playwright-core): loads the page (timing the load and the WebAssembly
// start), then for every vector fills the form as a user would, clicks "Check the proof" and
// reads the report the page shows; decodes an offer too; pastes issued credentials with a
// certificate into "Decode the credential" and reads what the page shows; saves screenshots.
//
//   node browser/proof_checker.mjs --page URL --vectors FILE --screenshot OUT.png [--offer URI]
//        [--credentials FILE]
//
// A vector is {"id", "jwt", "options": {aud, nonce, client_id, anonymous, now, attester_jwks}};
// a credential {"id", "credential", "certificate" (PEM), "now"}.
// Prints one JSON line: {"ok":true,"load_ms":..,"wasm_ready_ms":..,"reports":{id: report},
// "verdicts":{id: text},"offer":report,"credentials":{id: {report, verdict, rows, signature}}}
// or {"ok":false,"step":..,"error":..}; exit 0/1.
import { mkdirSync, readFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { args, fail, launchChromium, out, progress } from './harness.mjs'

async function main() {
  if (!args.page || !args.vectors || !args.screenshot) throw new Error('usage: proof_checker.mjs --page URL --vectors FILE --screenshot FILE')
  const vectors = JSON.parse(readFileSync(args.vectors, 'utf8'))
  const { context: browser, close } = await launchChromium({ viewport: { width: 1100, height: 1400 } })
  try {
    const page = await browser.newPage()
    const errors = []
    page.on('pageerror', (e) => errors.push(String(e)))
    progress.step = 'load'
    const started = Date.now()
    await page.goto(args.page)
    await page.waitForSelector('body[data-ready]', { timeout: 30000 })
    const loadMs = Date.now() - started
    const wasmReadyMs = Number(await page.getAttribute('body', 'data-ready'))
    // Open "Trust anchors and key attesters" as a user would, to reach its fields.
    await page.click('#attester_jwks >> xpath=ancestor::details/summary')
    const reports = {}
    const verdicts = {}
    for (const v of vectors) {
      progress.step = `vector ${v.id}`
      const o = v.options
      await page.fill('#jwt', v.jwt)
      await page.fill('#aud', o.aud ?? '')
      await page.fill('#nonce', o.nonce ?? '')
      await page.fill('#client_id', o.client_id ?? '')
      await page.fill('#now', String(o.now ?? ''))
      await page.setChecked('#anonymous', Boolean(o.anonymous))
      await page.fill('#attester_jwks', o.attester_jwks ? JSON.stringify(o.attester_jwks) : '')
      await page.evaluate(() => { document.getElementById('report').textContent = '' })
      await page.click('#check')
      await page.waitForFunction(() => document.getElementById('report').textContent !== '')
      reports[v.id] = JSON.parse(await page.textContent('#report'))
      verdicts[v.id] = { text: await page.textContent('#verdict'), code: await page.getAttribute('#verdict', 'data-code') }
    }
    progress.step = 'screenshot'
    mkdirSync(dirname(args.screenshot), { recursive: true })
    await page.screenshot({ path: args.screenshot, fullPage: true })
    let offer = null
    if (args.offer) {
      progress.step = 'offer'
      await page.fill('#offer', args.offer)
      await page.click('#decode')
      await page.waitForSelector('#offer-report:not([hidden])')
      offer = JSON.parse(await page.textContent('#offer-report'))
    }
    const credentials = {}
    if (args.credentials) {
      for (const c of JSON.parse(readFileSync(args.credentials, 'utf8'))) {
        progress.step = `credential ${c.id}`
        await page.fill('#credential', c.credential)
        await page.fill('#issuer_certificate', c.certificate ?? '')
        await page.fill('#credential_now', String(c.now ?? ''))
        await page.evaluate(() => { document.getElementById('credential-report').textContent = '' })
        await page.click('#decode-credential')
        await page.waitForFunction(() => document.getElementById('credential-report').textContent !== '')
        const cells = (selector) => page.$$eval(selector, (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)))
        credentials[c.id] = {
          report: JSON.parse(await page.textContent('#credential-report')),
          verdict: { text: await page.textContent('#credential-verdict'), code: await page.getAttribute('#credential-verdict', 'data-code') },
          rows: await page.isVisible('#credential-items') ? await cells('#credential-items tbody tr') : [],
          signature: await cells('#credential-signature tbody tr'),
        }
        if (c.screenshot) await page.screenshot({ path: c.screenshot, fullPage: true })
      }
    }
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`)
    out({ ok: true, load_ms: loadMs, wasm_ready_ms: wasmReadyMs, reports, verdicts, offer, credentials })
  } finally {
    await close()
  }
}

main().catch(fail)
