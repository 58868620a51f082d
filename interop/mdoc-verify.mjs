#!/usr/bin/env node
// Verifies an mdoc issued by oid4vci-rs with an independent ISO/IEC 18013-5 implementation,
// @auth0/mdl (its own CBOR, COSE and X.509 code: cbor-x, cose-kit, @peculiar/x509).
//
//   node interop/mdoc-verify.mjs <issuer-signed-file> <iaca-root-pem-file> <doctype>
//
// <issuer-signed-file> holds the credential as the issuer's credential endpoint returned it: the
// base64url-encoded CBOR IssuerSigned (OID4VCI 1.0 Appendix A.2). The IssuerSigned is put into a
// DeviceResponse document (as a wallet presenting it would) and run through the library's
// Verifier: the issuer certificate chain against the IACA root, the MSO signature, its validity,
// and every value digest. Device authentication is not part of issuance (no session transcript
// exists) and is reported separately.
//
// Prints one JSON line: {"ok":true|false,"failed":[...],"checks":[...],"docType":...,
// "deviceKey":{JWK},"elements":{namespace:{element:value}},"validityInfo":{...}}.
// Exit 0 when every issuer-side check passed, 1 otherwise, 2 on bad usage.

import { readFileSync } from 'node:fs'
import { Verifier } from '@auth0/mdl'
import { cborDecode, cborEncode } from '@auth0/mdl/lib/cbor/index.js'
import { COSEKeyToJWK } from 'cose-kit'

const [file, rootPemFile, docType] = process.argv.slice(2)
if (!file || !rootPemFile || !docType) {
  console.error('usage: mdoc-verify.mjs <issuer-signed-file> <iaca-root-pem-file> <doctype>')
  process.exit(2)
}

const fail = (message) => {
  process.stdout.write(JSON.stringify({ ok: false, error: message }) + '\n')
  process.exit(1)
}

const plain = (value) => {
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [k, plain(v)]))
  if (value instanceof Uint8Array) return { bytes: Buffer.from(value).toString('hex') }
  if (value instanceof Date) return value.toISOString()
  if (Array.isArray(value)) return value.map(plain)
  return value
}

try {
  const encoded = readFileSync(file, 'utf8').trim()
  if (!/^[A-Za-z0-9_-]+$/.test(encoded)) fail('the credential is not base64url (no padding)')
  const issuerSigned = cborDecode(Buffer.from(encoded, 'base64url'))
  if (!(issuerSigned instanceof Map) || !issuerSigned.has('issuerAuth') || !issuerSigned.has('nameSpaces')) {
    fail('the credential is not an IssuerSigned map with nameSpaces and issuerAuth')
  }
  const deviceResponse = cborEncode(
    new Map([
      ['version', '1.0'],
      ['documents', [new Map([['docType', docType], ['issuerSigned', issuerSigned]])]],
      ['status', 0],
    ]),
  )
  const checks = []
  const verifier = new Verifier([readFileSync(rootPemFile, 'utf8')])
  const mdoc = await verifier.verify(deviceResponse, { onCheck: (check) => checks.push(check) })
  const issuerSide = checks.filter((c) => c.category !== 'DEVICE_AUTH')
  const failed = issuerSide.filter((c) => c.status !== 'PASSED')
  const document = mdoc.documents[0]
  const mso = document.issuerSigned.issuerAuth.decodedPayload
  const elements = {}
  for (const [ns, items] of Object.entries(document.issuerSigned.nameSpaces)) {
    elements[ns] = Object.fromEntries(items.map((item) => [item.elementIdentifier, plain(item.elementValue)]))
  }
  const deviceKey = COSEKeyToJWK(mso.deviceKeyInfo.deviceKey)
  const result = {
    ok: failed.length === 0 && issuerSide.length > 0,
    failed,
    checks: checks.map(({ category, status, check }) => ({ category, status, check })),
    docType: mso.docType,
    digestAlgorithm: mso.digestAlgorithm,
    validityInfo: plain(mso.validityInfo),
    deviceKey: { kty: deviceKey.kty, crv: deviceKey.crv, x: deviceKey.x, y: deviceKey.y },
    elements,
  }
  process.stdout.write(JSON.stringify(result) + '\n')
  process.exit(result.ok ? 0 : 1)
} catch (e) {
  fail(`${e.name}: ${e.message}`)
}
