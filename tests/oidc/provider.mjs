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
// * MCP servers on loopback: a token for `http://127.0.0.1:PORT/mcp` (or `…/other-mcp`) may
//   carry `notes:read notes:write`; client `axioms-mcp` (secret `axioms-mcp-secret`) may ask
//   for them. Both well-known documents are served: `/.well-known/oauth-authorization-server`
//   (RFC 8414, what MCP clients read) and `/.well-known/openid-configuration`.
// * opt-in, `--alg-less-ps256` (or ALG_LESS_PS256=1): a FAPI-style PS256 key as well, published
//   in the JWKS *without* an `alg` member (kty RSA, use sig, kid `ps256-<16 chars>`), and a
//   third client, `axioms-ps` (secret `axioms-ps-secret`; scopes `read:data write:data`;
//   roles `["editor"]`), whose tokens it signs PS256. Nothing else changes: `axioms-rs` still
//   gets RS256 tokens from the RS256 key (oidc-provider prefers a key whose `alg` matches over
//   an alg-less one), and `POST /admin/rotate?alg=PS256` then rotates the alg-less key (the
//   new one is alg-less too). In `GET /admin/keys` that key has no `alg` but `signs: "PS256"`.
//   Without the option there is no such key and no such client (its token requests fail with
//   `invalid_client`).
//
// Usage: node provider.mjs [PORT] [--alg-less-ps256]
//        (or PORT=... and ALG_LESS_PS256=1; port 0 or nothing: a free port)
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

/** MCP servers on loopback (their port is chosen at run time): `http://127.0.0.1:PORT/mcp`
 * (the example MCP server) and `…/other-mcp` (another MCP server of the same issuer). */
const MCP_RESOURCE = /^http:\/\/127\.0\.0\.1:\d{1,5}\/(mcp|other-mcp)$/;
const MCP_SCOPES = 'notes:read notes:write';

/** The scopes of a resource indicator, or undefined for an unknown resource. */
function resourceScopes(resource) {
  if (Object.hasOwn(RESOURCES, resource)) {
    return RESOURCES[resource];
  }
  return MCP_RESOURCE.test(resource) ? MCP_SCOPES : undefined;
}

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
  {
    // The MCP client of tests/mcp.rs: tokens for the MCP servers on loopback.
    client_id: 'axioms-mcp',
    client_secret: 'axioms-mcp-secret',
    scope: 'notes:read notes:write',
    alg: 'ES256',
  },
];

/** With `--alg-less-ps256` only: the client whose tokens the alg-less PS256 key signs. */
export const PS_CLIENT = {
  client_id: 'axioms-ps',
  client_secret: 'axioms-ps-secret',
  scope: 'read:data write:data',
  alg: 'PS256',
  extra: { roles: ['editor'] },
};

const HOST = '127.0.0.1';

/** The kids of the keys published without `alg`, and the algorithm each signs. */
const ALG_LESS = new Map();

/** A new signing key for `alg`; with `publishAlg: false` its JWK has no `alg` member (for
 * RSA, oidc-provider then lets it sign any of PS256..RS512; it picks it for the `alg` asked
 * for only when no key has that `alg` explicitly). */
async function newKey(alg, { publishAlg = true } = {}) {
  const { privateKey } = await jose.generateKeyPair(alg, { extractable: true });
  const jwk = await jose.exportJWK(privateKey);
  jwk.kid = `${alg.toLowerCase()}-${(await jose.calculateJwkThumbprint(jwk)).slice(0, 16)}`;
  if (publishAlg) {
    jwk.alg = alg;
  } else {
    ALG_LESS.set(jwk.kid, alg);
  }
  jwk.use = 'sig';
  return jwk;
}

function buildProvider(issuer, keys, clients) {
  const byClient = new Map(clients.map((c) => [c.client_id, c]));
  const provider = new Provider(issuer, {
    clients: clients.map(({ client_id, client_secret, scope }) => ({
      client_id,
      client_secret,
      scope,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
    })),
    // The first key of an algorithm signs; the others stay published for verification. (An
    // alg-less RSA key can sign any RSA algorithm, but oidc-provider ranks keys whose `alg`
    // matches first: it signs only the algorithms no key names, here PS256. The JWT access
    // token format takes `jwt.sign.alg` as it is; `enabledJWA` does not restrict it.)
    jwks: { keys },
    scopes: [
      'openid',
      ...new Set([...Object.values(RESOURCES), MCP_SCOPES].flatMap((s) => s.split(' '))),
    ],
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
          const scope = resourceScopes(resource);
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
  return keys.map(({ kid, alg }) => (ALG_LESS.has(kid) ? { kid, signs: ALG_LESS.get(kid) } : { kid, alg }));
}

/** The command line: `[PORT] [--alg-less-ps256]`, in any order; PORT and ALG_LESS_PS256 from
 * the environment otherwise. */
function options() {
  const flags = process.argv.slice(2).filter((a) => a.startsWith('--'));
  const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  for (const flag of flags) {
    if (flag !== '--alg-less-ps256') {
      throw new Error(`unknown option ${flag} (usage: provider.mjs [PORT] [--alg-less-ps256])`);
    }
  }
  const portArg = positional[0] ?? process.env.PORT;
  const port = Number(portArg ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`invalid port ${portArg}`);
  }
  const env = process.env.ALG_LESS_PS256;
  const algLessPs256 = flags.includes('--alg-less-ps256') || (env !== undefined && !['', '0', 'false'].includes(env));
  return { port, algLessPs256 };
}

async function main() {
  const { port, algLessPs256 } = options();
  const keys = [await newKey('RS256'), await newKey('ES256')];
  const clients = [...CLIENTS];
  const rotatable = ['RS256', 'ES256'];
  if (algLessPs256) {
    keys.push(await newKey('PS256', { publishAlg: false }));
    clients.push(PS_CLIENT);
    rotatable.push('PS256');
  }
  let handler;
  let issuer;
  // What resource servers asked for: their JWKS and discovery fetches.
  const stats = { jwks: 0, discovery: 0, token: 0 };

  const rotate = async (alg) => {
    // The PS256 key exists only with --alg-less-ps256, and is alg-less.
    const key = await newKey(alg, { publishAlg: alg !== 'PS256' });
    keys.unshift(key);
    handler = buildProvider(issuer, keys, clients).callback();
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
      if (!rotatable.includes(alg)) {
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
  handler = buildProvider(issuer, keys, clients).callback();

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
