#!/usr/bin/env node
// Calls the demo issuer's admin API for the interop test. Prints the JSON reply on stdout.
//
//   node interop/admin.mjs <issuer-url> <admin-token> offer '<CreateOfferBody JSON>'
//   node interop/admin.mjs <issuer-url> <admin-token> session <session-id>
//   node interop/admin.mjs <issuer-url> <admin-token> revoke <session-id>
//   node interop/admin.mjs <issuer-url> <admin-token> metrics -   (the Prometheus text)
//
// Exit 0 on a 2xx reply, 1 otherwise, 2 on bad usage.

const [base, token, verb, arg] = process.argv.slice(2)
if (!base || !token || !['offer', 'session', 'revoke', 'metrics'].includes(verb) || !arg) {
  console.error("usage: admin.mjs <issuer-url> <admin-token> offer '<json>' | session <id> | revoke <id> | metrics -")
  process.exit(2)
}
const headers = { authorization: `Bearer ${token}` }
const json = { ...headers, 'content-type': 'application/json' }
const session = `${base}/admin/sessions/${encodeURIComponent(arg)}`
const request =
  verb === 'metrics'
    ? fetch(`${base}/metrics`, { headers })
    : verb === 'offer'
    ? fetch(`${base}/admin/offers`, { method: 'POST', headers: json, body: arg })
    : verb === 'revoke'
      ? fetch(`${session}/revoke`, { method: 'POST', headers: json, body: JSON.stringify({ reason: 'interop test' }) })
      : fetch(session, { headers })
try {
  const response = await request
  const text = await response.text()
  process.stdout.write(text + '\n')
  process.exit(response.ok ? 0 : 1)
} catch (e) {
  console.error(`admin.mjs: ${e.message}${e.cause ? ` (${e.cause.code ?? e.cause.message})` : ''}`)
  process.exit(1)
}
