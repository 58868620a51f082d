#!/usr/bin/env node
// A full HAIP 1.0 issuance with @openid4vc/openid4vci and @openid4vc/oauth2 (oid4vc-ts):
// wallet attestation made by the library (client attestation JWT with x5c, PoP per request),
// PAR with PKCE and DPoP, the login page, the token endpoint with DPoP server nonces, a batch
// whose keys one key attestation covers (the `attestation` proof type, made by the library),
// a refresh of the access token, and a second batch with the refreshed token.
// Prints one JSON line on stdout.
//
//   node interop/haip-wallet.mjs --issuer https://... --provider-key provider.p8.pem
//        --provider-cert <base64 DER leaf> --attester-key attester.jwk.json [--batch 3]
//        [--client-id ID] [--verbose]
//
// Exit 0 with {"ok":true,...}; 1 with {"ok":false,"step":...,"error":...}; 2 on bad usage.

import { createHash, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

import { Openid4vciClient, createKeyAttestationJwt } from '@openid4vc/openid4vci'
import { clientAuthenticationClientAttestationJwt, createClientAttestationJwt, HashAlgorithm, Oauth2Client } from '@openid4vc/oauth2'
import * as jose from 'jose'

const REDIRECT_URI = 'https://wallet.example.com/cb'
const steps = []
let step = 'args'
let verbose = false

function emit(obj, code) {
  process.stdout.write(JSON.stringify(obj) + '\n')
  process.exitCode = code
}

function fail(message) {
  throw new Error(message)
}

const b64u = (bytes) => Buffer.from(bytes).toString('base64url')

function publicMembers(jwk) {
  const { kty, crv, x, y } = jwk
  return { kty, crv, x, y }
}

async function newKey() {
  const { privateKey, publicKey } = await jose.generateKeyPair('ES256', { extractable: true })
  return { privateKey, publicJwk: publicMembers(await jose.exportJWK(publicKey)) }
}

function makeFetch() {
  return async (input, init = {}) => {
    const response = await fetch(input, { ...init, signal: AbortSignal.timeout(20000) })
    if (verbose) {
      const headers = Object.fromEntries(new Headers(init.headers ?? {}).entries())
      console.error('->', init.method ?? 'GET', String(input), JSON.stringify(headers).slice(0, 400))
      console.error('<-', response.status, (await response.clone().text()).slice(0, 400))
    }
    return response
  }
}

// One signJwt for every key the wallet holds: the instance key (PoPs, DPoP), the wallet
// provider (x5c, the client attestation), the key attester, and the batch's holder keys.
function makeCallbacks({ fetch, keys, provider, attestationJwt }) {
  const byX = new Map(keys.map((k) => [k.publicJwk.x, k]))
  const callbacks = {
    fetch,
    hash: (data, alg) => {
      const name = { [HashAlgorithm.Sha256]: 'sha256', [HashAlgorithm.Sha384]: 'sha384', [HashAlgorithm.Sha512]: 'sha512' }[alg]
      return new Uint8Array(createHash(name).update(data).digest())
    },
    generateRandom: (n) => new Uint8Array(randomBytes(n)),
    signJwt: async (signer, { header, payload }) => {
      let key
      if (signer.method === 'x5c') key = provider.privateKey
      else if (signer.method === 'jwk') key = byX.get(signer.publicJwk.x)?.privateKey
      if (!key) throw new Error(`no key for signer ${signer.method}`)
      const jwt = await new jose.CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
        .setProtectedHeader(header)
        .sign(key)
      return { jwt, signerJwk: signer.publicJwk }
    },
  }
  if (attestationJwt) callbacks.clientAuthentication = clientAuthenticationClientAttestationJwt({ clientAttestationJwt: attestationJwt, callbacks })
  return callbacks
}

function formFields(html) {
  const fields = {}
  for (const m of html.matchAll(/<input\b[^>]*>/g)) {
    const name = /\bname="([^"]*)"/.exec(m[0])?.[1]
    const value = /\bvalue="([^"]*)"/.exec(m[0])?.[1] ?? ''
    if (name) fields[name] = value.replaceAll('&amp;', '&').replaceAll('&quot;', '"')
  }
  return fields
}

function decodePart(part) {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))
}

// Every credential is an SD-JWT VC signed by its x5c leaf and bound to one of `holders`;
// returns the bound keys' x coordinates.
async function checkBatch(credentials, holders, issuer) {
  const bound = []
  for (const { credential } of credentials) {
    const jwt = credential.split('~')[0]
    const header = decodePart(jwt.split('.')[0])
    if (!header.x5c?.length) fail('an issued SD-JWT VC has no x5c (HAIP)')
    const pem = `-----BEGIN CERTIFICATE-----\n${header.x5c[0]}\n-----END CERTIFICATE-----`
    const { payload } = await jose.compactVerify(jwt, await jose.importX509(pem, header.alg))
    const claims = JSON.parse(new TextDecoder().decode(payload))
    if (claims.iss !== issuer) fail(`iss ${claims.iss} is not ${issuer}`)
    const x = claims.cnf?.jwk?.x
    if (!holders.some((h) => h.publicJwk.x === x)) fail('a credential is bound to none of the attested keys')
    bound.push(x)
  }
  if (new Set(bound).size !== bound.length) fail('two credentials of the batch are bound to the same key')
  return bound
}

async function main() {
  let args
  try {
    ;({ values: args } = parseArgs({
      options: {
        issuer: { type: 'string' },
        'provider-key': { type: 'string' },
        'provider-cert': { type: 'string' },
        'attester-key': { type: 'string' },
        'client-id': { type: 'string', default: 'https://wallet.example.com/haip-npm' },
        batch: { type: 'string', default: '3' },
        verbose: { type: 'boolean', default: false },
      },
      strict: true,
    }))
    for (const a of ['issuer', 'provider-key', 'provider-cert', 'attester-key']) if (!args[a]) throw new Error(`--${a} is required`)
  } catch (e) {
    emit({ ok: false, step: 'args', error: e.message }, 2)
    return
  }
  verbose = args.verbose
  const batch = Number(args.batch)
  const clientId = args['client-id']

  step = 'keys'
  const provider = { privateKey: await jose.importPKCS8(readFileSync(args['provider-key'], 'utf8'), 'ES256') }
  const attesterJwk = JSON.parse(readFileSync(args['attester-key'], 'utf8'))
  const attester = { privateKey: await jose.importJWK(attesterJwk, 'ES256'), publicJwk: publicMembers(attesterJwk) }
  const instance = await newKey()
  const holders = []
  for (let i = 0; i < 2 * batch; i++) holders.push(await newKey())
  const fetch = makeFetch()
  const keys = [instance, attester, ...holders]

  step = 'client_attestation'
  const bare = makeCallbacks({ fetch, keys, provider })
  const attestationJwt = await createClientAttestationJwt({
    issuer: 'https://wallet-provider.example.com',
    clientId,
    confirmation: { jwk: instance.publicJwk },
    expiresAt: new Date(Date.now() + 3600_000),
    signer: { method: 'x5c', x5c: [args['provider-cert']], alg: 'ES256' },
    callbacks: bare,
  })
  steps.push({ step, made_by: '@openid4vc/oauth2 createClientAttestationJwt' })
  const callbacks = makeCallbacks({ fetch, keys, provider, attestationJwt })
  const client = new Openid4vciClient({ callbacks })
  const oauth2 = new Oauth2Client({ callbacks })

  step = 'metadata'
  const issuerMetadata = await client.resolveIssuerMetadata(args.issuer)
  const as = issuerMetadata.authorizationServers[0]
  const configId = Object.keys(issuerMetadata.credentialIssuer.credential_configurations_supported).find(
    (id) => issuerMetadata.credentialIssuer.credential_configurations_supported[id].format === 'dc+sd-jwt',
  )
  const configuration = issuerMetadata.credentialIssuer.credential_configurations_supported[configId]
  steps.push({ step, config: configId, dpop_algs: as.dpop_signing_alg_values_supported })

  step = 'par'
  const dpopSigner = { method: 'jwk', alg: 'ES256', publicJwk: instance.publicJwk }
  const started = await oauth2.createAuthorizationRequestUrl({
    authorizationServerMetadata: as,
    clientId,
    redirectUri: REDIRECT_URI,
    scope: configuration.scope,
    state: b64u(randomBytes(12)),
    dpop: { signer: dpopSigner },
  })
  const { authorizationRequestUrl, pkce } = started
  if (pkce?.codeChallengeMethod !== 'S256') fail('no PKCE S256')
  if (!new URL(authorizationRequestUrl).searchParams.get('request_uri')) fail('the request was not pushed')
  steps.push({ step, pkce: pkce.codeChallengeMethod, dpop_nonce: Boolean(started.dpop?.nonce) })

  step = 'login'
  const page = await fetch(authorizationRequestUrl, { redirect: 'manual' })
  const html = await page.text()
  if (page.status !== 200) fail(`login page ${page.status}: ${html.slice(0, 200)}`)
  const fields = formFields(html)
  const action = new URL(/<form\b[^>]*\baction="([^"]*)"/.exec(html)?.[1] ?? '', authorizationRequestUrl)
  const submitted = await fetch(action, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...fields, action: 'approve' }).toString(),
  })
  const location = submitted.headers.get('location') ?? fail(`login answered ${submitted.status}`)
  const response = oauth2.parseAuthorizationResponseRedirectUrl({ url: location })
  if (response.iss !== as.issuer) fail(`iss ${response.iss} is not ${as.issuer}`)
  steps.push({ step, iss: response.iss })

  step = 'token'
  let token = await oauth2.retrieveAuthorizationCodeAccessToken({
    authorizationServerMetadata: as,
    authorizationCode: response.code,
    pkceCodeVerifier: pkce.codeVerifier,
    redirectUri: REDIRECT_URI,
    dpop: started.dpop ?? { signer: dpopSigner },
  })
  if (token.accessTokenResponse.token_type !== 'DPoP') fail(`token_type ${token.accessTokenResponse.token_type}`)
  if (!token.accessTokenResponse.refresh_token) fail('no refresh token')
  if (!token.dpop?.nonce) fail('the server gave no DPoP nonce')
  steps.push({ step, token_type: 'DPoP', refresh_token: true, dpop_nonce: true })

  const issueBatch = async (name, holderKeys, accessToken, dpop) => {
    step = name
    const { c_nonce } = await client.requestNonce({ issuerMetadata })
    const keyAttestation = await createKeyAttestationJwt({
      nonce: c_nonce,
      expiresAt: new Date(Date.now() + 600_000),
      attestedKeys: holderKeys.map((k) => ({ ...k.publicJwk, alg: 'ES256' })),
      keyStorage: ['iso_18045_high'],
      signer: { method: 'jwk', alg: 'ES256', publicJwk: attester.publicJwk },
      callbacks,
    })
    const result = await client.retrieveCredentials({
      issuerMetadata,
      accessToken,
      credentialConfigurationId: configId,
      proofs: { attestation: [keyAttestation] },
      dpop,
    })
    const credentials = result.credentialResponse.credentials ?? fail('no credentials')
    if (credentials.length !== holderKeys.length) fail(`${credentials.length} credentials for ${holderKeys.length} attested keys`)
    await checkBatch(credentials, holderKeys, issuerMetadata.credentialIssuer.credential_issuer)
    steps.push({ step, credentials: credentials.length, one_key_attestation: true })
    return result.dpop ?? dpop
  }
  let dpop = await issueBatch('batch', holders.slice(0, batch), token.accessTokenResponse.access_token, token.dpop)

  step = 'refresh'
  const refreshed = await oauth2.retrieveRefreshTokenAccessToken({
    authorizationServerMetadata: as,
    refreshToken: token.accessTokenResponse.refresh_token,
    dpop: { signer: dpopSigner, nonce: dpop?.nonce ?? token.dpop.nonce },
  })
  if (refreshed.accessTokenResponse.refresh_token === token.accessTokenResponse.refresh_token) fail('the refresh token was not rotated')
  steps.push({ step, rotated: true })

  await issueBatch('reissued_batch', holders.slice(batch), refreshed.accessTokenResponse.access_token, refreshed.dpop)
  emit({ ok: true, steps }, 0)
}

main().catch((e) => emit({ ok: false, step, error: String(e?.message ?? e), detail: e?.response ?? null, steps }, 1))
