#!/usr/bin/env node
// Interop wallet: obtains an SD-JWT VC from an OpenID4VCI 1.0 issuer using the
// wallet-side client of @openid4vc/openid4vci (openwallet-foundation oid4vc-ts),
// then verifies what it received. Prints exactly one JSON line on stdout.
//
//   node interop/wallet.mjs --offer '<openid-credential-offer://...>' [--tx-code 123456]
//        [--key-source jwk|did:key] [--alg ES256|EdDSA] [--config-id ID]
//        [--issuer-jwk '<json>'] [--encrypt-response A128GCM|A256GCM] [--timeout-ms 20000] [--verbose]
//   node interop/wallet.mjs --issuer https://... [--request scope|authorization_details] [--dpop]
//        (authorization code flow from the issuer metadata alone; offers whose only grant is
//        authorization_code use it too, with their issuer_state)
//
// Exit 0 with {"ok":true,...} when a credential was obtained and verified,
// exit 1 with {"ok":false,"step":...,"error":...} otherwise, exit 2 on bad usage.

import { createHash, randomBytes } from 'node:crypto'
import { isDeepStrictEqual, parseArgs } from 'node:util'

import { Openid4vciClient } from '@openid4vc/openid4vci'
import { clientAuthenticationAnonymous, clientAuthenticationNone, HashAlgorithm, Oauth2Client } from '@openid4vc/oauth2'
import { SDJwtInstance } from '@sd-jwt/core'
import * as jose from 'jose'

const USAGE = `usage: node interop/wallet.mjs --offer '<openid-credential-offer://...>' [options]

Runs the OpenID4VCI 1.0 pre-authorized code flow with @openid4vc/openid4vci:
offer -> issuer + authorization server metadata -> token -> nonce -> credential
(JWT proof) -> verify the dc+sd-jwt -> notification (credential_accepted).
With --issuer, or an offer with only the authorization_code grant, the authorization code
flow instead: PAR + PKCE (library) -> the login page, submitted as served over plain HTTP form
posts (this script) -> redirect with code/state/iss (library checks iss) -> token (library).

options:
  --offer URI           credential offer (by value or by reference)
  --issuer URL          no offer: start from the issuer's metadata (authorization code flow)
  --request R           authorization code flow: ask by scope (default) or authorization_details
  --dpop                authorization code flow: DPoP at PAR (binding the code), token, credential
  --tx-code CODE        transaction code for the pre-authorized code grant
  --key-source S        jwk (default): proof header carries the public JWK
                        did:key: proof header kid = did:key:z...#z...
  --alg A               ES256 (default) or EdDSA (Ed25519)
  --config-id ID        credential_configuration_id to request (default: the
                        first offered one whose format is dc+sd-jwt)
  --issuer-jwk JSON     issuer public JWK; if given, the SD-JWT must verify with it
  --encrypt-response E  ask for the credential response encrypted (ECDH-ES, enc E:
                        A128GCM or A256GCM) to a fresh wallet key, and decrypt it
  --encrypt-request     send the credential request as a JWE (ECDH-ES, A128GCM) to the
                        issuer's credential_request_encryption key, made with jose
  --timeout-ms N        per-HTTP-request timeout (default 20000)
  --verbose             log every HTTP exchange to stderr
  -h, --help            this text

stdout: one JSON line.
  success: {"ok":true,"vct":...,"claims":{...},"disclosed":[...],"steps":[...],...}
  failure: {"ok":false,"step":"<step>","error":"<message>","error_code":<oauth error|null>,
            "http_status":<n|null>,"steps":[...],"http":[...]}
exit status: 0 success, 1 flow or verification failure, 2 bad usage.
The steps are: offer, metadata, token, nonce, proof, credential, verify, notification.
HTTPS: the library accepts only https:// URLs (see interop/README.md); trust a test CA
with NODE_EXTRA_CA_CERTS=/path/ca.pem.`

// ---------------------------------------------------------------------------
// output

const steps = []
const http = []
let currentStep = 'args'
let verbose = false

function log(...args) {
  if (verbose) console.error('[wallet]', ...args)
}

function emit(obj, code) {
  process.stdout.write(`${JSON.stringify(obj)}\n`)
  process.exitCode = code
}

class StepError extends Error {
  constructor(message, extra = {}) {
    super(message)
    this.extra = extra
  }
}

function fail(message, extra) {
  throw new StepError(message, extra)
}

// Pulls the OAuth error code / HTTP status / body out of the library's error classes
// (duck-typed: the packages bundle some classes twice).
async function describeError(error) {
  const out = { error: error?.message ?? String(error), error_code: null, http_status: null }
  if (error instanceof StepError) Object.assign(out, error.extra)
  // Oauth2ClientErrorResponseError (token endpoint)
  if (error?.errorResponse?.error) out.error_code = error.errorResponse.error
  // Openid4vciRetrieveCredentialsError: error.response is the library's result object
  const inner = error?.response?.response ?? error?.response
  if (inner && typeof inner.status === 'number') {
    out.http_status = inner.status
    try {
      const text = await inner.clone().text()
      out.response_body = text.slice(0, 2000)
      try {
        const body = JSON.parse(text)
        if (body && typeof body.error === 'string' && !out.error_code) out.error_code = body.error
      } catch {}
    } catch {}
    const www = inner.headers?.get?.('WWW-Authenticate')
    if (www) out.www_authenticate = www
  }
  if (!out.error_code) {
    const parsed = error?.response?.credentialErrorResponseResult?.data ?? error?.response?.notificationErrorResponseResult?.data
    if (parsed?.error) out.error_code = parsed.error
  }
  if (error?.cause?.message && !out.error.includes(error.cause.message)) out.error += `\ncause: ${error.cause.message}`
  if (error?.cause?.cause?.message) out.error += `\ncause: ${error.cause.cause.message}`
  const tlsCode = error?.cause?.cause?.code ?? error?.cause?.code
  if (tlsCode) out.cause_code = tlsCode
  return out
}

// ---------------------------------------------------------------------------
// small encoders

const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'

function base58btc(bytes) {
  let zeros = 0
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++
  const digits = []
  for (let i = zeros; i < bytes.length; i++) {
    let carry = bytes[i]
    for (let j = 0; j < digits.length; j++) {
      carry += digits[j] << 8
      digits[j] = carry % 58
      carry = (carry / 58) | 0
    }
    while (carry > 0) {
      digits.push(carry % 58)
      carry = (carry / 58) | 0
    }
  }
  return '1'.repeat(zeros) + digits.reverse().map((d) => B58[d]).join('')
}

const b64u = (buf) => Buffer.from(buf).toString('base64url')
const fromB64u = (s) => Buffer.from(s, 'base64url')

// did:key for a public JWK: P-256 -> multicodec 0x1200 (varint 0x80 0x24) + 33-byte
// compressed SEC1 point; Ed25519 -> multicodec 0xed (varint 0xed 0x01) + 32 bytes.
function didKeyFromJwk(jwk) {
  let prefix
  let key
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') {
    const x = fromB64u(jwk.x)
    const y = fromB64u(jwk.y)
    if (x.length !== 32 || y.length !== 32) throw new Error('bad P-256 coordinates')
    prefix = [0x80, 0x24]
    key = Buffer.concat([Buffer.from([0x02 | (y[31] & 1)]), x])
  } else if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') {
    prefix = [0xed, 0x01]
    key = fromB64u(jwk.x)
    if (key.length !== 32) throw new Error('bad Ed25519 key')
  } else {
    throw new Error(`no did:key encoding for ${jwk.kty}/${jwk.crv}`)
  }
  const id = `z${base58btc(Buffer.concat([Buffer.from(prefix), key]))}`
  return { did: `did:key:${id}`, didUrl: `did:key:${id}#${id}` }
}

function publicJwkMembers(jwk) {
  if (!jwk || typeof jwk !== 'object') return null
  if (jwk.kty === 'EC') return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }
  if (jwk.kty === 'OKP') return { kty: jwk.kty, crv: jwk.crv, x: jwk.x }
  if (jwk.kty === 'RSA') return { kty: jwk.kty, n: jwk.n, e: jwk.e }
  return { kty: jwk.kty }
}

const sameKey = (a, b) => isDeepStrictEqual(publicJwkMembers(a), publicJwkMembers(b))

// ---------------------------------------------------------------------------
// library callbacks

function makeFetch(timeoutMs) {
  return async (input, init = {}) => {
    const url = String(input)
    const method = init.method ?? 'GET'
    const entry = { step: currentStep, method, url }
    http.push(entry)
    if (verbose) {
      const headers = Object.fromEntries(new Headers(init.headers ?? {}).entries())
      log('->', method, url, JSON.stringify(headers), init.body ? String(init.body).slice(0, 2000) : '')
    }
    const response = await fetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) })
    entry.status = response.status
    entry.content_type = response.headers.get('content-type')
    if (verbose) log('<-', response.status, entry.content_type, (await response.clone().text()).slice(0, 2000))
    return response
  }
}

function makeCallbacks({ fetch, privateKey, publicJwk }) {
  return {
    fetch,
    hash: (data, alg) => {
      const name = { [HashAlgorithm.Sha256]: 'sha256', [HashAlgorithm.Sha384]: 'sha384', [HashAlgorithm.Sha512]: 'sha512' }[alg]
      if (!name) throw new Error(`unsupported hash ${alg}`)
      return new Uint8Array(createHash(name).update(data).digest())
    },
    generateRandom: (n) => new Uint8Array(randomBytes(n)),
    // Signs whatever header/payload the library built; only our own key is ever used.
    signJwt: async (signer, { header, payload }) => {
      if (signer.method !== 'jwk' && signer.method !== 'did') throw new Error(`unexpected signer method ${signer.method}`)
      const jwt = await new jose.CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
        .setProtectedHeader(header)
        .sign(privateKey)
      return { jwt, signerJwk: publicJwk }
    },
    // Anonymous access to the token endpoint when the AS advertises it (OID4VCI 1.0
    // Section 12.3); otherwise a public client id, as a wallet without registration would.
    clientAuthentication: (options) => {
      if (options.authorizationServerMetadata['pre-authorized_grant_anonymous_access_supported']) {
        return clientAuthenticationAnonymous()(options)
      }
      return clientAuthenticationNone({ clientId: 'oid4vci-interop-wallet' })(options)
    },
  }
}

// ---------------------------------------------------------------------------
// SD-JWT VC verification

function decodeJson(part, what) {
  try {
    return JSON.parse(fromB64u(part).toString('utf8'))
  } catch {
    fail(`${what} is not base64url JSON`)
  }
}

async function issuerKeyFor({ header, payload, issuerJwkArg, fetch }) {
  const alg = header.alg
  if (issuerJwkArg) {
    if (header.jwk && !sameKey(header.jwk, issuerJwkArg)) fail('SD-JWT header jwk differs from --issuer-jwk')
    return { key: await jose.importJWK(issuerJwkArg, alg), source: 'argument' }
  }
  if (Array.isArray(header.x5c) && header.x5c.length > 0) {
    const pem = `-----BEGIN CERTIFICATE-----\n${header.x5c[0].match(/.{1,64}/g).join('\n')}\n-----END CERTIFICATE-----`
    return { key: await jose.importX509(pem, alg), source: 'x5c' }
  }
  if (header.jwk) return { key: await jose.importJWK(header.jwk, alg), source: 'header_jwk' }
  // SD-JWT VC Section 5: JWT VC Issuer Metadata at <origin>/.well-known/jwt-vc-issuer<path>
  if (typeof payload.iss === 'string' && payload.iss.startsWith('https://')) {
    const iss = new URL(payload.iss)
    const path = iss.pathname === '/' ? '' : iss.pathname
    const url = `${iss.origin}/.well-known/jwt-vc-issuer${path}`
    const res = await fetch(url)
    if (res.ok) {
      const meta = await res.json()
      if (meta.issuer !== payload.iss) fail(`jwt-vc-issuer metadata issuer ${meta.issuer} != iss ${payload.iss}`)
      let jwks = meta.jwks
      if (!jwks && meta.jwks_uri) jwks = await (await fetch(meta.jwks_uri)).json()
      const keys = (jwks?.keys ?? []).filter((k) => !header.kid || k.kid === header.kid)
      if (keys.length === 1) return { key: await jose.importJWK(keys[0], alg), source: 'jwt-vc-issuer' }
      fail(`jwt-vc-issuer metadata has ${keys.length} keys matching kid ${header.kid ?? '(none)'}`)
    }
  }
  fail('cannot find the issuer key: no --issuer-jwk, no x5c or jwk in the SD-JWT header, no jwt-vc-issuer metadata')
}

// Processes the payload as SD-JWT (RFC 9901) Section 7.1 asks: every disclosure must be
// referenced exactly once, no digest may repeat, disclosed names must not clash.
function processDisclosures(payload, disclosures, digestOf) {
  const byDigest = new Map()
  for (const d of disclosures) {
    const digest = digestOf(d.encoded)
    if (byDigest.has(digest)) fail(`two disclosures have the same digest ${digest}`)
    byDigest.set(digest, d)
  }
  const seen = new Set()
  const used = new Set()
  const disclosed = []
  const take = (digest) => {
    if (typeof digest !== 'string') fail('a digest is not a string')
    if (seen.has(digest)) fail(`digest ${digest} appears more than once in the SD-JWT`)
    seen.add(digest)
    const d = byDigest.get(digest)
    if (d) used.add(digest)
    return d
  }
  const walk = (value, path) => {
    if (Array.isArray(value)) {
      const out = []
      value.forEach((item, i) => {
        if (item && typeof item === 'object' && !Array.isArray(item) && '...' in item) {
          if (Object.keys(item).length !== 1) fail(`array element at ${path}[${i}] has '...' and other keys`)
          const d = take(item['...'])
          if (!d) return // decoy
          if (d.value.length !== 2) fail(`array disclosure for ${path}[${i}] does not have 2 elements`)
          disclosed.push(`${path}[${out.length}]`)
          out.push(walk(d.value[1], `${path}[${out.length}]`))
        } else {
          out.push(walk(item, `${path}[${out.length}]`))
        }
      })
      return out
    }
    if (value && typeof value === 'object') {
      const out = {}
      for (const [k, v] of Object.entries(value)) {
        if (k === '_sd' || (path === '' && k === '_sd_alg')) continue
        out[k] = walk(v, path ? `${path}.${k}` : k)
      }
      if ('_sd' in value) {
        if (!Array.isArray(value._sd)) fail(`_sd at ${path || '(top)'} is not an array`)
        for (const digest of value._sd) {
          const d = take(digest)
          if (!d) continue // decoy
          if (d.value.length !== 3) fail(`object disclosure ${d.encoded.slice(0, 20)}… does not have 3 elements`)
          const [, name, v] = d.value
          if (typeof name !== 'string' || name === '_sd' || name === '...') fail(`disclosure claim name ${JSON.stringify(name)} is not allowed`)
          if (name in out) fail(`disclosed claim ${name} already exists at ${path || '(top)'}`)
          const p = path ? `${path}.${name}` : name
          disclosed.push(p)
          out[name] = walk(v, p)
        }
      }
      return out
    }
    return value
  }
  const claims = walk(payload, '')
  for (const [digest, d] of byDigest) {
    if (!used.has(digest)) fail(`disclosure ${JSON.stringify(d.value)} (digest ${digest}) is not referenced by any _sd or '...' in the SD-JWT`)
  }
  return { claims, disclosed }
}

async function verifySdJwtVc({ credential, issuerMetadata, holderJwk, holderDid, issuerJwkArg, fetch, configuration }) {
  if (typeof credential !== 'string') fail(`credential is not a string but ${typeof credential}`)
  const parts = credential.split('~')
  if (parts.length < 2) fail('credential is not an SD-JWT (no ~ separator)')
  const [jwt, ...rest] = parts
  const kb = rest.pop()
  if (kb !== '') fail('issued SD-JWT must end with ~ (no key binding JWT at issuance)')
  const jwtParts = jwt.split('.')
  if (jwtParts.length !== 3) fail('issuer-signed JWT is not a compact JWS')
  const header = decodeJson(jwtParts[0], 'JWT header')
  const payload = decodeJson(jwtParts[1], 'JWT payload')
  if (header.typ !== 'dc+sd-jwt') fail(`SD-JWT VC header typ is ${JSON.stringify(header.typ)}, expected "dc+sd-jwt"`)
  if (!['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'PS256', 'RS256'].includes(header.alg)) fail(`unexpected alg ${header.alg}`)
  const algs = configuration?.credential_signing_alg_values_supported
  if (Array.isArray(algs) && !algs.includes(header.alg)) fail(`alg ${header.alg} is not in credential_signing_alg_values_supported ${JSON.stringify(algs)}`)

  const { key, source } = await issuerKeyFor({ header, payload, issuerJwkArg, fetch })
  try {
    await jose.compactVerify(jwt, key, { algorithms: [header.alg] })
  } catch (e) {
    fail(`issuer signature does not verify (${source} key): ${e.message}`)
  }

  const sdAlg = payload._sd_alg ?? 'sha-256'
  if (sdAlg !== 'sha-256') fail(`_sd_alg ${sdAlg} is not supported by this wallet`)
  if (typeof payload.vct !== 'string' || !payload.vct) fail('vct missing')
  if (configuration?.vct && configuration.vct !== payload.vct) fail(`vct ${payload.vct} differs from the configuration's ${configuration.vct}`)
  const now = Math.floor(Date.now() / 1000)
  const skew = 300
  if (payload.exp !== undefined && (typeof payload.exp !== 'number' || payload.exp < now - skew)) fail(`expired or bad exp ${payload.exp}`)
  if (payload.nbf !== undefined && (typeof payload.nbf !== 'number' || payload.nbf > now + skew)) fail(`not yet valid (nbf ${payload.nbf})`)
  if (payload.iat !== undefined && (typeof payload.iat !== 'number' || payload.iat > now + skew)) fail(`iat ${payload.iat} is in the future`)
  if (payload.iss !== undefined && typeof payload.iss !== 'string') fail('iss is not a string')

  // holder binding
  const cnf = payload.cnf
  if (!cnf || typeof cnf !== 'object') fail('cnf missing: the credential is not bound to the wallet key')
  if (cnf.jwk) {
    if (!sameKey(cnf.jwk, holderJwk)) fail(`cnf.jwk ${JSON.stringify(cnf.jwk)} is not the wallet key ${JSON.stringify(holderJwk)}`)
  } else if (cnf.kid) {
    if (!holderDid || (cnf.kid !== holderDid.did && cnf.kid !== holderDid.didUrl)) fail(`cnf.kid ${cnf.kid} is not the wallet's DID`)
  } else {
    fail(`cnf has neither jwk nor kid: ${JSON.stringify(cnf)}`)
  }

  const disclosures = rest.map((encoded) => {
    if (!/^[A-Za-z0-9_-]+$/.test(encoded)) fail(`disclosure is not base64url: ${encoded.slice(0, 30)}`)
    const value = decodeJson(encoded, 'disclosure')
    if (!Array.isArray(value) || (value.length !== 2 && value.length !== 3) || typeof value[0] !== 'string') {
      fail(`disclosure is not [salt, (name,) value]: ${JSON.stringify(value)}`)
    }
    return { encoded, value }
  })
  const digestOf = (s) => b64u(createHash('sha256').update(s, 'ascii').digest())
  const { claims, disclosed } = processDisclosures(payload, disclosures, digestOf)

  // Cross-check with an independent SD-JWT implementation (@sd-jwt/core).
  const sdjwt = new SDJwtInstance({
    hasher: (data, alg) => {
      if (alg !== 'sha-256') throw new Error(`hash ${alg}`)
      return new Uint8Array(createHash('sha256').update(typeof data === 'string' ? data : Buffer.from(data)).digest())
    },
  })
  const libClaims = await sdjwt.getClaims(credential)
  if (!isDeepStrictEqual(JSON.parse(JSON.stringify(libClaims)), claims)) {
    fail(`@sd-jwt/core reconstructs different claims: ${JSON.stringify(libClaims)} vs ${JSON.stringify(claims)}`)
  }

  return {
    vct: payload.vct,
    iss: payload.iss ?? null,
    header: { alg: header.alg, typ: header.typ, kid: header.kid ?? null },
    issuer_key_source: source,
    cnf: cnf.jwk ? 'jwk' : 'kid',
    claims,
    disclosed,
    disclosure_count: disclosures.length,
  }
}

// ---------------------------------------------------------------------------
// the authorization code flow

const REDIRECT_URI = 'https://interop-wallet.example/callback' // never contacted: the script reads the redirect
const CLIENT_ID = 'oid4vci-interop-wallet'

const decodeEntities = (s) =>
  s.replace(/&(#(\d+)|#x([0-9a-f]+)|amp|lt|gt|quot|apos);/gi, (m, _e, dec, hex) => {
    if (dec) return String.fromCodePoint(Number(dec))
    if (hex) return String.fromCodePoint(parseInt(hex, 16))
    return { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&apos;': "'" }[m.toLowerCase()]
  })

// The login form's fields as served (hidden request_uri and form_token, prefilled user).
function formFields(html) {
  const fields = {}
  for (const [tag] of html.matchAll(/<input\b[^>]*>/g)) {
    const name = /\bname="([^"]*)"/.exec(tag)?.[1]
    const value = /\bvalue="([^"]*)"/.exec(tag)?.[1]
    if (name) fields[decodeEntities(name)] = decodeEntities(value ?? '')
  }
  return fields
}

// PAR + PKCE through the library, the login page submitted as served, then the token request.
async function authorizationCodeFlow({ client, callbacks, fetch, credentialOffer, issuerMetadata, configId, configuration, request, dpopSigner }) {
  currentStep = 'authorize'
  const as = issuerMetadata.authorizationServers[0]
  // createAuthorizationRequestUrlFromOffer (0.4.6) has no state option; the metadata-alone path sends one.
  const state = credentialOffer ? undefined : b64u(randomBytes(12))
  const ask =
    request === 'scope'
      ? { scope: configuration.scope ?? fail(`configuration ${configId} has no scope`) }
      : { additionalRequestPayload: { authorization_details: [{ type: 'openid_credential', credential_configuration_id: configId }] } }
  const dpopOption = dpopSigner ? { signer: dpopSigner } : undefined
  let started
  if (credentialOffer) {
    started = await client.createAuthorizationRequestUrlFromOffer({
      credentialOffer,
      issuerMetadata,
      clientId: CLIENT_ID,
      redirectUri: REDIRECT_URI,
      dpop: dpopOption,
      ...ask,
    })
  } else {
    const oauth2 = new Oauth2Client({ callbacks })
    started = await oauth2.createAuthorizationRequestUrl({
      authorizationServerMetadata: as,
      clientId: CLIENT_ID,
      redirectUri: REDIRECT_URI,
      state,
      resource: issuerMetadata.credentialIssuer.credential_issuer,
      dpop: dpopOption,
      ...ask,
    })
  }
  const { authorizationRequestUrl, pkce } = started
  if (!pkce || pkce.codeChallengeMethod !== 'S256') fail(`the library did not use PKCE S256: ${JSON.stringify(pkce)}`)
  if (!new URL(authorizationRequestUrl).searchParams.get('request_uri')) fail('the library did not push the request (no request_uri)')
  steps.push({ step: 'par', request: request, issuer_state: Boolean(credentialOffer), dpop: Boolean(dpopSigner) })

  currentStep = 'login'
  const page = await fetch(authorizationRequestUrl, { redirect: 'manual' })
  const html = await page.text()
  if (page.status !== 200) fail(`GET authorization_endpoint answered ${page.status}: ${html.slice(0, 300)}`)
  const fields = formFields(html)
  for (const f of ['request_uri', 'form_token', 'username', 'password']) if (!fields[f]) fail(`the login form has no ${f}`)
  const action = new URL(/<form\b[^>]*\baction="([^"]*)"/.exec(html)?.[1] ?? '', page.url || authorizationRequestUrl)
  const submitted = await fetch(action, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...fields, action: 'approve' }).toString(),
  })
  const location = submitted.headers.get('location')
  if (submitted.status !== 303 || !location) fail(`the login form answered ${submitted.status}, expected 303 with Location`)
  const response = client.parseAndVerifyAuthorizationResponseRedirectUrl({ url: location, authorizationServerMetadata: as })
  if (response.error) fail(`authorization error ${response.error}: ${response.error_description ?? ''}`, { error_code: response.error })
  if (response.state !== state) fail(`state ${response.state} is not the one sent (${state})`)
  steps.push({ step: 'login', redirect: location.split('?')[0], iss: response.iss ?? null })

  currentStep = 'token'
  const tokenOptions = {
    issuerMetadata,
    authorizationCode: response.code,
    pkceCodeVerifier: pkce.codeVerifier,
    redirectUri: REDIRECT_URI,
    dpop: started.dpop ?? dpopOption,
  }
  const result = credentialOffer
    ? await client.retrieveAuthorizationCodeAccessTokenFromOffer({ credentialOffer, ...tokenOptions })
    : await new Oauth2Client({ callbacks }).retrieveAuthorizationCodeAccessToken({
        authorizationServerMetadata: as,
        ...tokenOptions,
      })
  let credentialIdentifier
  if (request === 'authorization_details') {
    const detail = (result.accessTokenResponse.authorization_details ?? []).find((d) => d.credential_configuration_id === configId)
    credentialIdentifier = detail?.credential_identifiers?.[0]
    if (!credentialIdentifier) fail('the token response has no credential_identifiers for the requested authorization_details (Section 6.2)')
  }
  return { accessTokenResponse: result.accessTokenResponse, dpop: result.dpop ?? tokenOptions.dpop, credentialIdentifier }
}

// @openid4vc/openid4vci 0.4.6 always sends credential_configuration_id, which Section 8.2
// forbids once the token response returned credential_identifiers; this request is the one
// step the script sends itself (with the library's proof).
async function credentialByIdentifier({ fetch, issuerMetadata, credentialIdentifier, accessToken, proofJwt, dpop, privateKey }) {
  const url = issuerMetadata.credentialIssuer.credential_endpoint
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` }
  if (dpop) {
    // RFC 9449 Section 4.2, by the same key the library used at the token endpoint.
    const ath = b64u(createHash('sha256').update(accessToken).digest())
    const payload = { htm: 'POST', htu: url, iat: Math.floor(Date.now() / 1000), jti: b64u(randomBytes(16)), ath }
    if (dpop.nonce) payload.nonce = dpop.nonce
    headers.authorization = `DPoP ${accessToken}`
    headers.dpop = await new jose.SignJWT(payload)
      .setProtectedHeader({ typ: 'dpop+jwt', alg: dpop.signer.alg, jwk: dpop.signer.publicJwk })
      .sign(privateKey)
  }
  const res = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify({ credential_identifier: credentialIdentifier, proofs: { jwt: [proofJwt] } }),
  })
  const body = await res.json().catch(() => null)
  if (res.status !== 200) fail(`credential endpoint answered ${res.status}: ${JSON.stringify(body)}`, { http_status: res.status, error_code: body?.error ?? null })
  return { credentialResponse: body }
}

// ---------------------------------------------------------------------------
// the flow

async function main() {
  let args
  try {
    ;({ values: args } = parseArgs({
      options: {
        offer: { type: 'string' },
        issuer: { type: 'string' },
        request: { type: 'string', default: 'scope' },
        dpop: { type: 'boolean', default: false },
        'tx-code': { type: 'string' },
        'key-source': { type: 'string', default: 'jwk' },
        alg: { type: 'string', default: 'ES256' },
        'config-id': { type: 'string' },
        'issuer-jwk': { type: 'string' },
        'encrypt-response': { type: 'string' },
        'encrypt-request': { type: 'boolean', default: false },
        'timeout-ms': { type: 'string', default: '20000' },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }))
  } catch (e) {
    console.error(`${e.message}\n\n${USAGE}`)
    emit({ ok: false, step: 'args', error: e.message, error_code: null, http_status: null, steps, http }, 2)
    return
  }
  if (args.help) {
    console.log(USAGE)
    return
  }
  const usage = (message) => {
    console.error(`${message}\n\n${USAGE}`)
    emit({ ok: false, step: 'args', error: message, error_code: null, http_status: null, steps, http }, 2)
  }
  if (!args.offer === !args.issuer) return usage('exactly one of --offer and --issuer is required')
  if (!['scope', 'authorization_details'].includes(args.request)) return usage('--request must be scope or authorization_details')
  if (!['jwk', 'did:key'].includes(args['key-source'])) return usage('--key-source must be jwk or did:key')
  if (!['ES256', 'EdDSA'].includes(args.alg)) return usage('--alg must be ES256 or EdDSA')
  if (args['encrypt-response'] && !['A128GCM', 'A256GCM'].includes(args['encrypt-response'])) return usage('--encrypt-response must be A128GCM or A256GCM')
  const timeoutMs = Number(args['timeout-ms'])
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) return usage('--timeout-ms must be a positive integer')
  let issuerJwkArg
  if (args['issuer-jwk']) {
    try {
      issuerJwkArg = JSON.parse(args['issuer-jwk'])
    } catch {
      return usage('--issuer-jwk is not JSON')
    }
  }
  verbose = args.verbose

  const keyPair = args.alg === 'ES256' ? await jose.generateKeyPair('ES256') : await jose.generateKeyPair('EdDSA', { crv: 'Ed25519' })
  const publicJwk = publicJwkMembers(await jose.exportJWK(keyPair.publicKey))
  const holderDid = args['key-source'] === 'did:key' ? didKeyFromJwk(publicJwk) : undefined
  const signer = holderDid
    ? { method: 'did', didUrl: holderDid.didUrl, alg: args.alg }
    : { method: 'jwk', publicJwk, alg: args.alg }

  // The library accepts only https:// URLs (zHttpsUrl in @openid4vc/utils). We never call
  // setGlobalConfig({ allowInsecureUrls: true }): the issuer under test must serve TLS, and the
  // test trusts its certificate with NODE_EXTRA_CA_CERTS.
  const fetch = makeFetch(timeoutMs)
  const callbacks = makeCallbacks({ fetch, privateKey: keyPair.privateKey, publicJwk })
  const client = new Openid4vciClient({ callbacks })

  try {
    let credentialOffer = null
    if (args.offer) {
      currentStep = 'offer'
      credentialOffer = await client.resolveCredentialOffer(args.offer)
      const byReference = new URL(args.offer).searchParams.has('credential_offer_uri')
      steps.push({
        step: 'offer',
        by_reference: byReference,
        credential_issuer: credentialOffer.credential_issuer,
        credential_configuration_ids: credentialOffer.credential_configuration_ids,
        grants: Object.keys(credentialOffer.grants ?? {}),
      })
    }

    currentStep = 'metadata'
    const issuerMetadata = await client.resolveIssuerMetadata(credentialOffer?.credential_issuer ?? args.issuer)
    const ci = issuerMetadata.credentialIssuer
    const as = issuerMetadata.authorizationServers[0]
    steps.push({
      step: 'metadata',
      version_detected: issuerMetadata.originalDraftVersion,
      credential_endpoint: ci.credential_endpoint,
      nonce_endpoint: ci.nonce_endpoint ?? null,
      notification_endpoint: ci.notification_endpoint ?? null,
      authorization_server: as?.issuer,
      token_endpoint: as?.token_endpoint,
      anonymous_access: as?.['pre-authorized_grant_anonymous_access_supported'] ?? false,
    })
    if (issuerMetadata.originalDraftVersion !== 'V1' && issuerMetadata.originalDraftVersion !== 'Draft15') {
      fail(`the library reads this metadata as ${issuerMetadata.originalDraftVersion}, not OpenID4VCI 1.0`)
    }

    const offered = credentialOffer?.credential_configuration_ids ?? Object.keys(ci.credential_configurations_supported)
    const configId =
      args['config-id'] ?? offered.find((id) => ci.credential_configurations_supported[id]?.format === 'dc+sd-jwt')
    if (!configId) fail(`no dc+sd-jwt configuration among the offered ${JSON.stringify(offered)}`)
    if (!offered.includes(configId)) fail(`${configId} is not in the offer ${JSON.stringify(offered)}`)
    const configuration = ci.credential_configurations_supported[configId]
    if (!configuration) fail(`${configId} is not in credential_configurations_supported`)
    const methods = configuration.cryptographic_binding_methods_supported
    const method = holderDid ? 'did:key' : 'jwk'
    if (Array.isArray(methods) && !methods.includes(method)) {
      fail(`configuration ${configId} does not list ${method} in cryptographic_binding_methods_supported ${JSON.stringify(methods)}`)
    }

    currentStep = 'token'
    const preAuth = credentialOffer?.grants?.['urn:ietf:params:oauth:grant-type:pre-authorized_code']
    let accessTokenResponse
    let dpop
    let credentialIdentifier
    if (preAuth) {
      if (preAuth.tx_code && !args['tx-code']) fail(`the offer asks for a tx_code (${JSON.stringify(preAuth.tx_code)}); pass --tx-code`)
      ;({ accessTokenResponse } = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
        credentialOffer,
        issuerMetadata,
        txCode: args['tx-code'],
      }))
    } else {
      ;({ accessTokenResponse, dpop, credentialIdentifier } = await authorizationCodeFlow({
        client,
        callbacks,
        fetch,
        credentialOffer,
        issuerMetadata,
        configId,
        configuration,
        request: args.request,
        dpopSigner: args.dpop ? { method: 'jwk', alg: args.alg, publicJwk } : undefined,
      }))
      currentStep = 'token'
    }
    steps.push({
      step: 'token',
      grant: preAuth ? 'pre-authorized_code' : 'authorization_code',
      token_type: accessTokenResponse.token_type,
      expires_in: accessTokenResponse.expires_in ?? null,
      tx_code_sent: Boolean(args['tx-code']),
      authorization_details: accessTokenResponse.authorization_details ?? null,
    })
    const expectedType = args.dpop ? 'dpop' : 'bearer'
    if (accessTokenResponse.token_type.toLowerCase() !== expectedType) fail(`token_type ${accessTokenResponse.token_type}, expected ${expectedType}`)
    if (credentialIdentifier) {
      // asked with authorization_details: the response must carry credential_identifiers (6.2)
    } else if (accessTokenResponse.authorization_details) {
      fail(
        'the token response has authorization_details although the token request had none (OID4VCI 1.0 Section 6.2: MUST NOT be used otherwise); ' +
          'this library then still sends credential_configuration_id'
      )
    }

    currentStep = 'nonce'
    let cNonce
    if (ci.nonce_endpoint) {
      const nonceResponse = await client.requestNonce({ issuerMetadata })
      cNonce = nonceResponse.c_nonce
      steps.push({ step: 'nonce', c_nonce_length: cNonce.length })
    } else {
      fail('the issuer metadata has no nonce_endpoint')
    }

    currentStep = 'proof'
    const { jwt: proofJwt } = await client.createCredentialRequestJwtProof({
      issuerMetadata,
      credentialConfigurationId: configId,
      nonce: cNonce,
      signer,
    })
    const proofHeader = jose.decodeProtectedHeader(proofJwt)
    steps.push({ step: 'proof', alg: proofHeader.alg, typ: proofHeader.typ, key_source: holderDid ? 'did:key' : 'jwk', kid: proofHeader.kid ?? null })

    currentStep = 'credential'
    // Response encryption (OID4VCI 1.0 Sections 8.2 and 10): a fresh ECDH-ES key of the wallet;
    // the library sends the parameters, jose decrypts the application/jwt response.
    let responseEncryption
    if (args['encrypt-response']) {
      const offered = ci.credential_response_encryption
      if (!offered) fail('the issuer metadata has no credential_response_encryption')
      if (!offered.alg_values_supported?.includes('ECDH-ES')) fail('credential_response_encryption.alg_values_supported lacks ECDH-ES')
      if (!offered.enc_values_supported?.includes(args['encrypt-response'])) fail(`credential_response_encryption.enc_values_supported lacks ${args['encrypt-response']}`)
      const encKeys = await jose.generateKeyPair('ECDH-ES', { crv: 'P-256', extractable: true })
      const jwk = { ...publicJwkMembers(await jose.exportJWK(encKeys.publicKey)), alg: 'ECDH-ES', use: 'enc' }
      // This library validates the draft-14 shape, which also names alg beside the jwk.
      responseEncryption = { privateKey: encKeys.privateKey, parameters: { jwk, alg: 'ECDH-ES', enc: args['encrypt-response'] } }
    }
    let retrieved
    if (credentialIdentifier) {
      if (responseEncryption || args['encrypt-request']) fail('--encrypt-* is not combined with --request authorization_details here')
      retrieved = await credentialByIdentifier({
        fetch,
        issuerMetadata,
        credentialIdentifier,
        accessToken: accessTokenResponse.access_token,
        proofJwt,
        dpop,
        privateKey: keyPair.privateKey,
      })
    } else if (args['encrypt-request']) {
      // The library cannot encrypt requests (Section 10); jose does, to the issuer's key.
      const offered = ci.credential_request_encryption
      const issuerKey = offered?.jwks?.keys?.find((k) => k.alg === 'ECDH-ES' || !k.alg)
      if (!issuerKey?.kid) fail('the issuer metadata has no credential_request_encryption key with a kid')
      if (!offered.enc_values_supported?.includes('A128GCM')) fail('credential_request_encryption.enc_values_supported lacks A128GCM')
      const body = {
        credential_configuration_id: configId,
        proofs: { jwt: [proofJwt] },
        ...(responseEncryption ? { credential_response_encryption: responseEncryption.parameters } : {}),
      }
      const jwe = await new jose.CompactEncrypt(new TextEncoder().encode(JSON.stringify(body)))
        .setProtectedHeader({ alg: 'ECDH-ES', enc: 'A128GCM', kid: issuerKey.kid })
        .encrypt(await jose.importJWK(issuerKey, 'ECDH-ES'))
      const response = await fetch(ci.credential_endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/jwt', authorization: `Bearer ${accessTokenResponse.access_token}` },
        body: jwe,
      })
      if (!responseEncryption) {
        if (response.status !== 200) fail(`the encrypted credential request was answered ${response.status}: ${await response.text()}`)
        retrieved = { response, credentialResponse: await response.json() }
      } else {
        retrieved = { response }
      }
      steps.push({ step: 'encrypt-request', alg: 'ECDH-ES', enc: 'A128GCM', kid: issuerKey.kid })
    } else try {
      retrieved = await client.retrieveCredentials({
        issuerMetadata,
        credentialConfigurationId: configId,
        accessToken: accessTokenResponse.access_token,
        proofs: { jwt: [proofJwt] },
        dpop,
        ...(responseEncryption ? { additionalRequestPayload: { credential_response_encryption: responseEncryption.parameters } } : {}),
      })
    } catch (error) {
      // The library parses JSON responses only; an encrypted one reaches us as its "error",
      // which carries the HTTP response.
      if (!responseEncryption || !error?.response?.response) throw error
      retrieved = error.response
    }
    let credentialResponse = retrieved.credentialResponse
    let encryptedResponse = null
    if (responseEncryption) {
      const response = retrieved.response
      const contentType = response?.headers?.get('content-type') ?? ''
      if (response?.status !== 200) fail(`the encrypted credential request was answered ${response?.status}: ${await response?.clone().text()}`)
      if (!contentType.startsWith('application/jwt')) fail(`an encrypted response must be application/jwt, got ${contentType || 'no content type'} (OID4VCI 1.0 Section 8.3)`)
      const jwe = (await response.clone().text()).trim()
      const { plaintext, protectedHeader } = await jose.compactDecrypt(jwe, responseEncryption.privateKey)
      if (protectedHeader.alg !== 'ECDH-ES' || protectedHeader.enc !== args['encrypt-response']) fail(`the response JWE header is ${JSON.stringify(protectedHeader)}`)
      credentialResponse = JSON.parse(new TextDecoder().decode(plaintext))
      encryptedResponse = { alg: protectedHeader.alg, enc: protectedHeader.enc }
      steps.push({ step: 'decrypt', ...encryptedResponse })
    }
    if (!credentialResponse) fail('no credential response')
    if (credentialResponse.transaction_id) fail(`issuance was deferred (transaction_id ${credentialResponse.transaction_id}); this test expects immediate issuance`)
    const list = credentialResponse.credentials ?? []
    if (credentialResponse.credential !== undefined) fail('the credential response uses the pre-1.0 "credential" member')
    if (list.length !== 1) fail(`expected exactly 1 credential, got ${list.length}`)
    const entry = list[0]
    if (!entry || typeof entry !== 'object' || !('credential' in entry)) fail('credentials[0] is not an object with a "credential" member (OID4VCI 1.0 Section 8.3)')
    steps.push({ step: 'credential', credentials: list.length, notification_id: credentialResponse.notification_id ?? null })

    currentStep = 'verify'
    const verified = await verifySdJwtVc({
      credential: entry.credential,
      issuerMetadata,
      holderJwk: publicJwk,
      holderDid,
      issuerJwkArg,
      fetch,
      configuration,
    })
    steps.push({ step: 'verify', issuer_key_source: verified.issuer_key_source, disclosures: verified.disclosure_count, cnf: verified.cnf })

    let notification = null
    if (credentialResponse.notification_id) {
      currentStep = 'notification'
      const res = await client.sendNotification({
        issuerMetadata,
        accessToken: accessTokenResponse.access_token,
        notification: { notificationId: credentialResponse.notification_id, event: 'credential_accepted' },
        dpop,
      })
      notification = res.response.status
      steps.push({ step: 'notification', status: notification })
      if (notification !== 204) fail(`notification endpoint answered ${notification}, expected 204 (OID4VCI 1.0 Section 11.2)`)
    }

    emit(
      {
        ok: true,
        vct: verified.vct,
        iss: verified.iss,
        claims: verified.claims,
        disclosed: verified.disclosed,
        credential_configuration_id: configId,
        key_source: holderDid ? 'did:key' : 'jwk',
        alg: args.alg,
        holder: holderDid ? holderDid.didUrl : publicJwk,
        sd_jwt_header: verified.header,
        credential: entry.credential,
        notification_status: notification,
        grant: preAuth ? 'pre-authorized_code' : 'authorization_code',
        token_type: accessTokenResponse.token_type,
        credential_identifier: credentialIdentifier ?? null,
        encrypted_response: encryptedResponse,
        steps,
        http,
      },
      0
    )
  } catch (error) {
    const described = await describeError(error)
    log('failed at', currentStep, described)
    emit({ ok: false, step: currentStep, ...described, steps, http }, 1)
  }
}

main().catch((error) => {
  emit({ ok: false, step: currentStep, error: `internal: ${error?.stack ?? error}`, error_code: null, http_status: null, steps, http }, 1)
})
