#!/usr/bin/env node
// Calls the demo issuer's admin API for the interop test. Prints the JSON reply on stdout.
//
//   node interop/admin.mjs <issuer-url> <admin-token> offer '<CreateOfferBody JSON>'
//   node interop/admin.mjs <issuer-url> <admin-token> session <session-id>
//
// Exit 0 on a 2xx reply, 1 otherwise, 2 on bad usage.

const [base, token, verb, arg] = process.argv.slice(2)
if (!base || !token || !['offer', 'session'].includes(verb) || !arg) {
  console.error("usage: admin.mjs <issuer-url> <admin-token> offer '<json>' | session <id>")
  process.exit(2)
}
const headers = { authorization: `Bearer ${token}` }
const request =
  verb === 'offer'
    ? fetch(`${base}/admin/offers`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: arg })
    : fetch(`${base}/admin/sessions/${encodeURIComponent(arg)}`, { headers })
try {
  const response = await request
  const text = await response.text()
  process.stdout.write(text + '\n')
  process.exit(response.ok ? 0 : 1)
} catch (e) {
  console.error(`admin.mjs: ${e.message}${e.cause ? ` (${e.cause.code ?? e.cause.message})` : ''}`)
  process.exit(1)
}
