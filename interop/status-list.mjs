#!/usr/bin/env node
// Checks a credential's revocation status as a relying party would, with @sd-jwt/jwt-status-list
// (openwallet-foundation sd-jwt-js) reading the token and jose verifying its signature:
//
//   node interop/status-list.mjs --credential '<dc+sd-jwt>'
//
// 1. the library reads the credential's status claim (status.status_list {idx, uri});
// 2. the Status List Token is fetched from uri (Accept: application/statuslist+jwt);
// 3. jose verifies it (typ statuslist+jwt, the issuer key of /.well-known/jwt-vc-issuer, exp);
// 4. the library decompresses the list and reads the credential's entry.
//
// Prints one JSON line: {"ok":true,"uri":...,"idx":...,"status":0|1,...}; exit 1 on any failure.

import { parseArgs } from 'node:util'

import { getListFromStatusListJWT, getStatusListFromJWT } from '@sd-jwt/jwt-status-list'
import * as jose from 'jose'

const MEDIA_TYPE = 'application/statuslist+jwt'

function emit(obj, code) {
  process.stdout.write(`${JSON.stringify(obj)}\n`)
  process.exit(code)
}

const { values: args } = parseArgs({ options: { credential: { type: 'string' } } })
if (!args.credential) {
  console.error("usage: status-list.mjs --credential '<dc+sd-jwt>'")
  process.exit(2)
}

let step = 'credential'
try {
  const jwt = args.credential.split('~')[0]
  const reference = getStatusListFromJWT(jwt)
  const { iss } = jose.decodeJwt(jwt)
  if (typeof reference?.uri !== 'string' || !Number.isInteger(reference?.idx)) {
    throw new Error(`the credential's status_list is ${JSON.stringify(reference)}`)
  }

  step = 'fetch'
  const response = await fetch(reference.uri, { headers: { accept: MEDIA_TYPE } })
  const contentType = response.headers.get('content-type') ?? ''
  if (response.status !== 200) throw new Error(`${reference.uri} answered ${response.status}`)
  if (!contentType.startsWith(MEDIA_TYPE)) throw new Error(`the list is served as ${contentType}, not ${MEDIA_TYPE}`)
  const cacheControl = response.headers.get('cache-control')
  const token = (await response.text()).trim()

  step = 'verify'
  const metadata = await (await fetch(`${iss}/.well-known/jwt-vc-issuer`)).json()
  const header = jose.decodeProtectedHeader(token)
  const jwk = metadata.jwks.keys.find((k) => !header.kid || !k.kid || k.kid === header.kid)
  if (!jwk) throw new Error(`no issuer key for kid ${header.kid}`)
  const { payload } = await jose.jwtVerify(token, await jose.importJWK(jwk, header.alg), {
    typ: 'statuslist+jwt',
    subject: reference.uri,
    requiredClaims: ['iat', 'exp', 'sub'],
  })

  step = 'decode'
  const list = getListFromStatusListJWT(token)
  const status = list.getStatus(reference.idx)
  emit(
    {
      ok: true,
      uri: reference.uri,
      idx: reference.idx,
      status,
      bits: list.getBitsPerStatus(),
      ttl: payload.ttl ?? null,
      cache_control: cacheControl,
      alg: header.alg,
      x5c: Array.isArray(header.x5c),
    },
    0
  )
} catch (error) {
  emit({ ok: false, step, error: `${error?.message ?? error}` }, 1)
}
