// An independent JOSE implementation (`jose`) for cross-checking axioms (tests/it/interop/).
//
// Reads a JSON array of operations on stdin, runs them in order, and prints a JSON array of
// their results on stdout (one element per operation):
//
//   {"op": "keygen", "alg": "PS256", "kid": "k1"}
//     -> {"private": JWK, "public": JWK,       (public has kid, alg and use "sig"; without
//         "spki": PEM}                         "kid", the kid is the RFC 7638 thumbprint;
//                                               spki: the public key as `-----BEGIN PUBLIC
//                                               KEY-----` PEM)
//   {"op": "sign", "jwk": PRIVATE_JWK, "alg": "ES256", "claims": {...}, "header": {...}}
//     -> {"token": "eyJ..."}                   (header: alg, kid of the JWK, typ at+jwt,
//                                               then `header` over them)
//   {"op": "hmac-sign", "alg": "HS256", "secret": BASE64URL, "claims": {...}, "header": {...}}
//     -> {"token": "eyJ..."}                   (a symmetric JWS: alg HS256, HS384 or HS512;
//                                               `secret` is the key's bytes in base64url, no
//                                               padding, like a JWK's `k` (any length, not
//                                               empty; "c2VjcmV0" is the 6 bytes "secret");
//                                               header: alg, typ at+jwt, then `header` over
//                                               them, no kid unless `header` has one)
//   {"op": "verify", "token": "...", "jwks": {"keys": [...]}, "issuer": "...",
//    "audience": "...", "algorithms": ["RS256", ...], "typ": "at+jwt"}
//     -> {"ok": true, "header": {...}, "payload": {...}}  or  {"ok": false, "code": "ERR_...",
//        "message": "..."}
//
// Algorithms (keygen, sign, verify): RS256, RS384, RS512, PS256, PS384, PS512 (RSA, 2048
// bits), ES256 (P-256), ES384 (P-384), ES512 (P-521: 132-byte signatures), EdDSA (Ed25519).
// The curve follows from the alg; signing with a key of another curve (an ES512 sign with a
// P-256 JWK, say) is a malformed operation. hmac-sign: HS256, HS384, HS512 only; its secret is
// always base64url (a plain word such as "secret" is base64url too: of 4 other bytes). verify
// cannot check an HMAC token: jose's key sets hold no symmetric keys (an `oct` JWK gives
// {"ok": false, "code": "ERR_JOSE_NOT_SUPPORTED"}).
//
// A malformed operation makes the whole run fail (exit status 1, message on stderr); a token
// that does not verify is a result, not a failure.
import process from 'node:process';

import * as jose from 'jose';

async function keygen({ alg, kid }) {
  const options = { extractable: true };
  if (alg === 'EdDSA') {
    options.crv = 'Ed25519';
  }
  const { privateKey, publicKey } = await jose.generateKeyPair(alg, options);
  const priv = await jose.exportJWK(privateKey);
  const pub = await jose.exportJWK(publicKey);
  const id = kid ?? (await jose.calculateJwkThumbprint(pub));
  for (const jwk of [priv, pub]) {
    Object.assign(jwk, { kid: id, alg, use: 'sig' });
  }
  return { private: priv, public: pub, spki: await jose.exportSPKI(publicKey) };
}

async function sign({ jwk, alg, claims, header }) {
  const algorithm = alg ?? jwk.alg;
  const key = await jose.importJWK(jwk, algorithm);
  const protectedHeader = { alg: algorithm, typ: 'at+jwt', ...(jwk.kid ? { kid: jwk.kid } : {}), ...header };
  const token = await new jose.SignJWT(claims).setProtectedHeader(protectedHeader).sign(key);
  return { token };
}

const HMAC = new Set(['HS256', 'HS384', 'HS512']);

async function hmacSign({ alg, secret, claims, header }) {
  if (!HMAC.has(alg)) {
    throw new Error(`hmac-sign: alg must be HS256, HS384 or HS512, not ${JSON.stringify(alg)}`);
  }
  if (typeof secret !== 'string' || !/^[A-Za-z0-9_-]+$/.test(secret)) {
    throw new Error('hmac-sign: secret must be a non-empty base64url string (no padding)');
  }
  const key = jose.base64url.decode(secret);
  const protectedHeader = { alg, typ: 'at+jwt', ...header };
  const token = await new jose.SignJWT(claims).setProtectedHeader(protectedHeader).sign(key);
  return { token };
}

async function verify({ token, jwks, issuer, audience, algorithms, typ }) {
  const keys = jose.createLocalJWKSet(jwks);
  try {
    const { payload, protectedHeader } = await jose.jwtVerify(token, keys, {
      issuer,
      audience,
      algorithms,
      typ,
      requiredClaims: ['exp', 'iat', 'sub'],
    });
    return { ok: true, header: protectedHeader, payload };
  } catch (err) {
    return { ok: false, code: err.code ?? 'ERR_UNKNOWN', message: err.message };
  }
}

const OPS = { keygen, sign, 'hmac-sign': hmacSign, verify };

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  const ops = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  if (!Array.isArray(ops)) {
    throw new Error('stdin must be a JSON array of operations');
  }
  const results = [];
  for (const op of ops) {
    const run = OPS[op?.op];
    if (!run) {
      throw new Error(`unknown operation ${JSON.stringify(op?.op)}`);
    }
    results.push(await run(op));
  }
  process.stdout.write(`${JSON.stringify(results)}\n`);
}

main().catch((err) => {
  process.stderr.write(`jose_tool: ${err?.stack ?? err}\n`);
  process.exit(1);
});
