// A DPoP client nobody at axioms wrote (tests/it/interop/tutorial.rs): panva's `dpop` makes the keys
// and the proofs, `oidc-provider` binds the tokens to them, and the tutorial must accept the
// right requests and refuse every forged one. Proofs that `dpop` refuses to make (old `iat`,
// `alg: none`, HS256, a private `jwk`) are signed with `jose`.
//
// Input (stdin, JSON): { issuer, client_id, client_secret, resource, scope, api, origin,
//                        path, nonce_expected }
//   api:    the tutorial's base URL (http://127.0.0.1:PORT), where requests go;
//   origin: the resource's public origin, what proofs' `htu` names;
//   path:   a route the token's scope grants (GET).
// Output (stdout, JSON): { token_type, cnf_matches, cases: [{ case, status, www, nonce, body }] }
import http from 'node:http';
import process from 'node:process';

import * as DPoP from 'dpop';
import * as jose from 'jose';

const input = JSON.parse(await new Promise((resolve) => {
  let data = '';
  process.stdin.on('data', (c) => { data += c; });
  process.stdin.on('end', () => resolve(data));
}));

/** One HTTP request; `headers` values may be arrays (several field lines). */
function request(url, method, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`timeout: ${method} ${url}`)));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** A DPoP-bound access token from oidc-provider's token endpoint for `keypair`. */
async function boundToken(keypair) {
  const tokenUrl = `${input.issuer}/token`;
  const body = new URLSearchParams({
    grant_type: 'client_credentials',
    resource: input.resource,
    scope: input.scope,
  }).toString();
  const basic = Buffer.from(`${input.client_id}:${input.client_secret}`).toString('base64');
  const proof = await DPoP.generateProof(keypair, tokenUrl, 'POST');
  const res = await request(tokenUrl, 'POST', {
    authorization: `Basic ${basic}`,
    'content-type': 'application/x-www-form-urlencoded',
    dpop: proof,
  }, body);
  if (res.status !== 200) {
    throw new Error(`token endpoint: ${res.status} ${res.body}`);
  }
  return JSON.parse(res.body);
}

/** A proof signed with `jose`, for the claims and header `dpop` will not produce. */
async function forged(keypair, { header = {}, claims = {}, key } = {}) {
  const jwk = await jose.exportJWK(keypair.publicKey);
  const alg = keypair.privateKey.algorithm.name === 'Ed25519' ? 'Ed25519' : 'ES256';
  return new jose.SignJWT({
    iat: Math.floor(Date.now() / 1000),
    jti: crypto.randomUUID(),
    htm: 'GET',
    htu: `${input.origin}${input.path}`,
    ...claims,
  })
    .setProtectedHeader({ alg, typ: 'dpop+jwt', jwk, ...header })
    .sign(key ?? keypair.privateKey);
}

const b64u = (bytes) => Buffer.from(bytes).toString('base64url');
const ath = async (token) => b64u(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token)));

const results = [];
/** Sends GET `path` with `authorization` and DPoP proofs `proofs` (0, 1 or 2 field lines). */
async function send(label, authorization, proofs, path = input.path) {
  const headers = { authorization };
  if (proofs.length === 1) headers.dpop = proofs[0];
  if (proofs.length > 1) headers.dpop = proofs;
  const res = await request(`${input.api}${path}`, 'GET', headers);
  const result = {
    case: label,
    status: res.status,
    www: res.headers['www-authenticate'] ?? null,
    nonce: res.headers['dpop-nonce'] ?? null,
    body: res.body,
  };
  results.push(result);
  return result;
}

const keypair = await DPoP.generateKeyPair('ES256');
const edKeypair = await DPoP.generateKeyPair('Ed25519');
const otherKeypair = await DPoP.generateKeyPair('ES256');
const issued = await boundToken(keypair);
const token = issued.access_token;
const jkt = await DPoP.calculateThumbprint(keypair.publicKey);
const cnf = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).cnf;
const htu = `${input.origin}${input.path}`;
const dpopAuth = `DPoP ${token}`;

// The server's nonce, if it asks for one: learn it as a client does, from a 401.
let nonce;
if (input.nonce_expected) {
  const first = await send('without the nonce', dpopAuth, [await DPoP.generateProof(keypair, htu, 'GET', undefined, token)]);
  nonce = first.nonce ?? undefined;
}
const proof = (kp = keypair, t = token, url = htu, method = 'GET') => DPoP.generateProof(kp, url, method, nonce, t);

const good = await proof();
await send('accepted', dpopAuth, [good]);
await send('a second proof', dpopAuth, [await proof()]);
await send('replayed jti', dpopAuth, [good]);
await send('token as Bearer', `Bearer ${token}`, []);
await send('token as Bearer with a proof', `Bearer ${token}`, [await proof()]);
await send('no proof', dpopAuth, []);
await send('two DPoP headers', dpopAuth, [await proof(), await proof()]);
await send('wrong htm', dpopAuth, [await proof(keypair, token, htu, 'POST')]);
await send('htu of another host', dpopAuth, [await proof(keypair, token, `http://evil.test${input.path}`)]);
const origin = new URL(input.origin);
const otherPort = new URL(input.origin);
otherPort.port = String((Number(origin.port || (origin.protocol === 'https:' ? 443 : 80)) % 65535) + 1);
await send('htu of another port', dpopAuth, [await proof(keypair, token, `${otherPort.origin}${input.path}`)]);
await send('htu of another path', dpopAuth, [await proof(keypair, token, `${input.origin}/elsewhere`)]);
const second = (await boundToken(keypair)).access_token;
await send('ath of another token', dpopAuth, [await proof(keypair, second)]);
await send('proof of another key', dpopAuth, [await proof(otherKeypair)]);
await send('old iat', dpopAuth, [await forged(keypair, {
  claims: { iat: Math.floor(Date.now() / 1000) - 600, ath: await ath(token), nonce },
})]);
{
  const head = b64u(JSON.stringify({ alg: 'none', typ: 'dpop+jwt', jwk: await jose.exportJWK(keypair.publicKey) }));
  const body = b64u(JSON.stringify({ iat: Math.floor(Date.now() / 1000), jti: crypto.randomUUID(), htm: 'GET', htu, ath: await ath(token), nonce }));
  await send('alg none', dpopAuth, [`${head}.${body}.`]);
}
await send('HS256', dpopAuth, [await forged(keypair, {
  header: { alg: 'HS256' },
  claims: { ath: await ath(token), nonce },
  key: new TextEncoder().encode('a shared secret of thirty-two bytes!'),
})]);
{
  const extractable = await DPoP.generateKeyPair('ES256', { extractable: true });
  const privateJwk = await jose.exportJWK(extractable.privateKey);
  const t = (await boundToken(extractable)).access_token;
  await send('private key in jwk', `DPoP ${t}`, [await forged(extractable, {
    header: { jwk: privateJwk },
    claims: { ath: await ath(t), nonce },
  })]);
}
{
  // Ed25519 keys, proofs with `alg: "Ed25519"` (the fully-specified name `dpop` uses).
  const t = (await boundToken(edKeypair)).access_token;
  await send('Ed25519 accepted', `DPoP ${t}`, [await DPoP.generateProof(edKeypair, htu, 'GET', nonce, t)]);
}

process.stdout.write(JSON.stringify({
  token_type: issued.token_type,
  cnf_matches: cnf?.jkt === jkt,
  nonce,
  cases: results,
}));
