// A real OpenID provider for the axioms integration tests (tests/it/interop/).
//
// `oidc-provider` (a certified OpenID Connect server) on 127.0.0.1, configured as a
// resource-server test needs it:
//
// * the client-credentials grant, with clients authenticating by `client_secret_basic`;
// * resource indicators (RFC 8707): an access token requested with `resource=R` is a JWT
//   (RFC 9068, `typ: at+jwt`) whose `aud` is R and whose `scope` is the requested scopes that
//   R knows (except for `https://opaque.axioms.test`: opaque tokens, see below);
// * signing keys RS256 and ES256 in its JWKS; client `axioms-rs` gets RS256 tokens,
//   `axioms-es` ES256 ones;
// * key rotation: `POST /admin/rotate[?alg=RS256|ES256]` (or SIGUSR2, RS256) generates a new
//   key, puts it first in the key set, so it signs every new token, and keeps the old keys
//   published. The HTTP server keeps running: only the provider behind it is rebuilt (with the
//   same token store: opaque tokens issued before a rotation stay valid).
//   `GET /admin/keys` lists the kids in order; `GET /admin/stats` counts the requests for the
//   JWKS, the discovery document, tokens, introspection and revocation
//   (`{"jwks": N, "discovery": N, "token": N, "introspection": N, "revocation": N}`).
// * opaque access tokens: a token for `https://opaque.axioms.test` (scopes `read:data
//   write:data`, TTL 600 s) is an opaque random string (43 base64url characters), not a JWT,
//   stored by the provider; `axioms-rs` and `axioms-es` (and `axioms-ps`) get one as they get
//   a JWT (`grant_type=client_credentials`, `resource=https://opaque.axioms.test`,
//   `scope=read:data`; the answer is `{"access_token", "expires_in": 600, "scope",
//   "token_type": "Bearer"}`). Only introspection tells what it is.
// * token introspection (RFC 7662) at `POST /token/introspection` (`-d token=...`, optional
//   `token_type_hint`), for the resource server's own confidential client
//   `axioms-introspector` (secret `axioms-introspector-secret`, `client_secret_basic`; it has
//   no grant type: its token requests fail, 400 `invalid_request`). It gets the full answer
//   about any client's opaque token, in this order: `active: true`, the token's extra claims
//   (`roles`, and `permissions` for `axioms-es`, as in the JWTs), `client_id`, `exp`, `iat`,
//   `iss`, `aud` (the resource indicator, a string), `scope` (absent if the token has none),
//   `token_type: "Bearer"`. No `sub`: a client-credentials token has no account, and
//   oidc-provider puts `sub` only for one (the JWTs' `sub` is the client id; here only
//   `client_id` says who). No `jti` either (an opaque token is its own id). Another client
//   learns only about its own tokens, `{"active":false}` for anyone else's: this provider's
//   `features.introspection.allowedPolicy` (oidc-provider's default answers any confidential
//   client about any token, and has no rule about a token's audience). An expired, revoked or
//   unknown token is `{"active":false}` (HTTP 200); bad client credentials are 401
//   `invalid_client`; a JWT is 400 `unsupported_token_type` (oidc-provider introspects and
//   revokes only the tokens it stores). The discovery documents advertise both endpoints
//   (`introspection_endpoint`, `revocation_endpoint`).
// * token revocation (RFC 7009) at `POST /token/revocation`, oidc-provider's default policy:
//   a client revokes its own opaque token (`-u CLIENT:SECRET -d token=...`: 200, empty body,
//   for an unknown or already revoked token too); introspection then says `{"active":false}`.
//   Revoking another client's token (even as `axioms-introspector`) is 400 `invalid_request`.
// * `POST /admin/introspection?down=1` makes the introspection endpoint answer 503
//   (`{"error":"temporarily_unavailable","error_description":...}`; still counted in the
//   stats) until `POST /admin/introspection?down=0`; everything else keeps working. Both, and
//   `GET /admin/introspection`, answer `{"introspection": "down"|"up"}`; another `down` is 400.
//   Key rotation does not change it.
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
// oidc-provider's own in-memory adapter (the default one), but one store for every provider
// this process builds: by default each `new Provider` gets a fresh store, and a key rotation
// would forget every opaque token issued before it.
import { createMemoryAdapter } from 'oidc-provider/lib/adapters/memory_adapter.js';

/** The resource servers, by resource indicator (= the `aud` of their tokens). */
export const RESOURCES = {
  'https://api.axioms.test': 'read:data write:data admin',
  'https://other.axioms.test': 'read:data',
  'https://opaque.axioms.test': 'read:data write:data',
};

/** The resource servers of RESOURCES whose access tokens are opaque (the others' are JWTs). */
export const OPAQUE_RESOURCES = new Set(['https://opaque.axioms.test']);

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
    // The MCP client of tests/it/mcp.rs: tokens for the MCP servers on loopback.
    client_id: 'axioms-mcp',
    client_secret: 'axioms-mcp-secret',
    scope: 'notes:read notes:write',
    alg: 'ES256',
  },
];

/** The resource server's own client, for introspection only (no grant type: no tokens). */
export const INTROSPECTOR = {
  client_id: 'axioms-introspector',
  client_secret: 'axioms-introspector-secret',
};

/** oidc-provider's endpoints for introspection and revocation (set in `routes` below, the
 * defaults made explicit, since the stats and the down switch match these paths). */
export const INTROSPECTION_PATH = '/token/introspection';
export const REVOCATION_PATH = '/token/revocation';

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

function buildProvider(issuer, keys, clients, adapter) {
  const byClient = new Map(clients.map((c) => [c.client_id, c]));
  const provider = new Provider(issuer, {
    adapter,
    clients: [
      ...clients.map(({ client_id, client_secret, scope }) => ({
        client_id,
        client_secret,
        scope,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
      })),
      {
        ...INTROSPECTOR,
        grant_types: [],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    routes: { introspection: INTROSPECTION_PATH, revocation: REVOCATION_PATH },
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
      introspection: {
        enabled: true,
        // Whom to answer: the resource server's client about any token, a client about its
        // own. (The default answers any confidential client about any token; oidc-provider
        // has no rule of its own about a token's audience here.) `false` gives
        // `{"active":false}`.
        allowedPolicy: async (_ctx, caller, token) => (
          caller.clientId === INTROSPECTOR.client_id || caller.clientId === token.clientId
        ),
      },
      // The default policy: a client revokes its own tokens only (400 for another's).
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => undefined,
        useGrantedResource: async () => false,
        getResourceServerInfo: async (_ctx, resource, client) => {
          const scope = resourceScopes(resource);
          if (scope === undefined) {
            throw new errors.InvalidTarget();
          }
          if (OPAQUE_RESOURCES.has(resource)) {
            return { scope, audience: resource, accessTokenTTL: 600, accessTokenFormat: 'opaque' };
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
  // The stored tokens (the opaque ones), shared by the providers key rotation builds; 15 s is
  // oidc-provider's default clock tolerance (it pads the store's expiry).
  const adapter = createMemoryAdapter(15);
  // What resource servers asked for: their JWKS and discovery fetches, introspections.
  const stats = { jwks: 0, discovery: 0, token: 0, introspection: 0, revocation: 0 };
  // `POST /admin/introspection?down=1`: the introspection endpoint answers 503.
  let introspectionDown = false;

  const rotate = async (alg) => {
    // The PS256 key exists only with --alg-less-ps256, and is alg-less.
    const key = await newKey(alg, { publishAlg: alg !== 'PS256' });
    keys.unshift(key);
    handler = buildProvider(issuer, keys, clients, adapter).callback();
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
    if (url.pathname === '/admin/introspection' && ['GET', 'POST'].includes(req.method)) {
      if (req.method === 'POST') {
        const down = url.searchParams.get('down');
        if (!['0', '1'].includes(down)) {
          return send(400, { error: 'down must be 0 or 1' });
        }
        introspectionDown = down === '1';
        process.stderr.write(`provider: introspection ${introspectionDown ? 'down' : 'up'}\n`);
      }
      return send(200, { introspection: introspectionDown ? 'down' : 'up' });
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
    } else if (path === INTROSPECTION_PATH) {
      stats.introspection += 1;
      if (introspectionDown) {
        res.writeHead(503, { 'content-type': 'application/json', 'cache-control': 'no-store', connection: 'close' });
        res.end(JSON.stringify({
          error: 'temporarily_unavailable',
          error_description: 'introspection is down (POST /admin/introspection?down=0)',
        }));
        return;
      }
    } else if (path === REVOCATION_PATH) {
      stats.revocation += 1;
    }
    handler(req, res);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, resolve);
  });
  issuer = `http://${HOST}:${server.address().port}`;
  handler = buildProvider(issuer, keys, clients, adapter).callback();

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
