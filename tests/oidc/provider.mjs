// A real OpenID provider for the axioms integration tests (tests/oidc_provider.rs).
//
// `oidc-provider` (a certified OpenID Connect server) on 127.0.0.1, configured as a
// resource-server test needs it:
//
// * the client-credentials grant, with clients authenticating by `client_secret_basic`;
// * resource indicators (RFC 8707): an access token requested with `resource=R` is a JWT
//   (RFC 9068, `typ: at+jwt`) whose `aud` is R and whose `scope` is the requested scopes that
//   R knows;
// * signing keys RS256 and ES256 in its JWKS; client `axioms-rs` gets RS256 tokens,
//   `axioms-es` ES256 ones;
// * key rotation: `POST /admin/rotate[?alg=RS256|ES256]` (or SIGUSR2, RS256) generates a new
//   key, puts it first in the key set, so it signs every new token, and keeps the old keys
//   published. The HTTP server keeps running: only the provider behind it is rebuilt.
//   `GET /admin/keys` lists the kids in order; `GET /admin/stats` counts the requests for the
//   JWKS, the discovery document and tokens.
//
// Usage: node provider.mjs [PORT]   (or PORT=...; 0 or nothing: a free port)
// Prints `listening on http://127.0.0.1:PORT` on stdout once ready; the issuer is exactly
// that URL. SIGTERM or SIGINT stops it.
import http from 'node:http';
import process from 'node:process';

import * as jose from 'jose';
import Provider, { errors } from 'oidc-provider';

/** The resource servers, by resource indicator (= the `aud` of their tokens). */
export const RESOURCES = {
  'https://api.axioms.test': 'read:data write:data admin',
  'https://other.axioms.test': 'read:data',
};

/** The clients: id, secret, the scopes each may ask for, the JWS algorithm of its tokens
 * and the extra claims of its tokens. */
export const CLIENTS = [
  {
    client_id: 'axioms-rs',
    client_secret: 'axioms-rs-secret',
    scope: 'read:data write:data',
    alg: 'RS256',
    extra: { roles: ['editor'] },
  },
  {
    client_id: 'axioms-es',
    client_secret: 'axioms-es-secret',
    scope: 'read:data write:data admin',
    alg: 'ES256',
    extra: { roles: ['admin'], permissions: ['resource:create'] },
  },
];

const HOST = '127.0.0.1';

async function newKey(alg) {
  const { privateKey } = await jose.generateKeyPair(alg, { extractable: true });
  const jwk = await jose.exportJWK(privateKey);
  jwk.kid = `${alg.toLowerCase()}-${(await jose.calculateJwkThumbprint(jwk)).slice(0, 16)}`;
  jwk.alg = alg;
  jwk.use = 'sig';
  return jwk;
}

function buildProvider(issuer, keys) {
  const byClient = new Map(CLIENTS.map((c) => [c.client_id, c]));
  const provider = new Provider(issuer, {
    clients: CLIENTS.map(({ client_id, client_secret, scope }) => ({
      client_id,
      client_secret,
      scope,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
    })),
    // The first key of an algorithm signs; the others stay published for verification.
    jwks: { keys },
    scopes: ['openid', ...new Set(Object.values(RESOURCES).flatMap((s) => s.split(' ')))],
    cookies: { keys: ['axioms-test-cookie-key'] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => undefined,
        useGrantedResource: async () => false,
        getResourceServerInfo: async (_ctx, resource, client) => {
          const scope = RESOURCES[resource];
          if (scope === undefined) {
            throw new errors.InvalidTarget();
          }
          return {
            scope,
            audience: resource,
            accessTokenTTL: 600,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: byClient.get(client.clientId)?.alg ?? 'RS256' } },
          };
        },
      },
    },
    extraTokenClaims: async (_ctx, token) => byClient.get(token.clientId)?.extra,
  });
  return provider;
}

function publicKeys(keys) {
  return keys.map(({ kid, alg }) => ({ kid, alg }));
}

async function main() {
  const port = Number(process.argv[2] ?? process.env.PORT ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`invalid port ${process.argv[2] ?? process.env.PORT}`);
  }
  const keys = [await newKey('RS256'), await newKey('ES256')];
  let handler;
  let issuer;
  // What resource servers asked for: their JWKS and discovery fetches.
  const stats = { jwks: 0, discovery: 0, token: 0 };

  const rotate = async (alg) => {
    const key = await newKey(alg);
    keys.unshift(key);
    handler = buildProvider(issuer, keys).callback();
    process.stderr.write(`provider: rotated, ${alg} key ${key.kid} now signs\n`);
    return key;
  };

  const admin = async (req, res) => {
    const url = new URL(req.url, issuer);
    const send = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/admin/keys' && req.method === 'GET') {
      return send(200, { keys: publicKeys(keys) });
    }
    if (url.pathname === '/admin/stats' && req.method === 'GET') {
      return send(200, stats);
    }
    if (url.pathname === '/admin/rotate' && req.method === 'POST') {
      const alg = url.searchParams.get('alg') ?? 'RS256';
      if (!['RS256', 'ES256'].includes(alg)) {
        return send(400, { error: `unsupported alg ${alg}` });
      }
      const key = await rotate(alg);
      return send(200, { kid: key.kid, alg, keys: publicKeys(keys) });
    }
    return send(404, { error: 'not found' });
  };

  const server = http.createServer((req, res) => {
    if (req.url.startsWith('/admin/')) {
      admin(req, res).catch((err) => {
        res.writeHead(500);
        res.end(String(err));
      });
      return;
    }
    const path = req.url.split('?')[0];
    if (path === '/jwks') {
      stats.jwks += 1;
    } else if (path === '/.well-known/openid-configuration') {
      stats.discovery += 1;
    } else if (path === '/token') {
      stats.token += 1;
    }
    handler(req, res);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, resolve);
  });
  issuer = `http://${HOST}:${server.address().port}`;
  handler = buildProvider(issuer, keys).callback();

  process.on('SIGUSR2', () => {
    rotate('RS256').catch((err) => process.stderr.write(`provider: rotation failed: ${err}\n`));
  });
  const stop = () => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  process.stdout.write(`listening on ${issuer}\n`);
}

main().catch((err) => {
  process.stderr.write(`provider: ${err?.stack ?? err}\n`);
  process.exit(1);
});
