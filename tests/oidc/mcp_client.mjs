// The official MCP TypeScript SDK's client, against an MCP server protected by axioms
// (tests/it/mcp.rs). It knows only the server's URL and its own client credentials: everything
// else — the authorization server, the scopes — it discovers from the server's answers.
//
// Usage: MCP_URL=… CLIENT_ID=… CLIENT_SECRET=… ISSUER=… SDK=v2|v1 node mcp_client.mjs
//
// * SDK=v2 (`@modelcontextprotocol/client`): the client connects, lists tools, calls
//   `whoami`, then `delete_note`, which needs a scope its token lacks: the server's 403
//   `insufficient_scope` challenge makes the client obtain a token with the wider scope and
//   retry (the SDK's step-up).
// * SDK=v1 (`@modelcontextprotocol/sdk`): the same, except that v1 does not widen the scope
//   of a client-credentials token by itself: the script reads the challenge's `scope` from
//   the 403 and connects again with a provider for that scope.
// * both: the metadata document is validated by the SDK's own schema
//   (`OAuthProtectedResourceMetadataSchema`) and by oauth4webapi's
//   `processResourceDiscoveryResponse` (which checks `resource` against the URL).
//
// Prints one JSON report on stdout: every HTTP exchange the client made (method, URL, status,
// `WWW-Authenticate`, and for token requests the `scope` and `resource` sent), the tools
// listed, the results of the calls, and the errors met. The Rust test asserts on it.
import process from 'node:process';

import * as oauth from 'oauth4webapi';
import { OAuthProtectedResourceMetadataSchema } from '@modelcontextprotocol/sdk/shared/auth.js';

const { MCP_URL, CLIENT_ID, CLIENT_SECRET, ISSUER } = process.env;
const SDK = process.env.SDK ?? 'v2';
const url = new URL(MCP_URL);
const report = { sdk: SDK, exchanges: [], tools: [], calls: {}, errors: [] };

/** `fetch`, recording each exchange. */
async function recordingFetch(input, init) {
  const response = await fetch(input, init);
  const target = String(input instanceof Request ? input.url : input);
  const exchange = {
    method: init?.method ?? (input instanceof Request ? input.method : 'GET'),
    url: target,
    status: response.status,
    www_authenticate: response.headers.get('www-authenticate'),
  };
  if (target.endsWith('/token') && init?.body) {
    const form = new URLSearchParams(String(init.body));
    exchange.token_request = { scope: form.get('scope'), resource: form.get('resource') };
  }
  report.exchanges.push(exchange);
  return response;
}

function text(result) {
  return result.content?.map((c) => c.text).join('') ?? '';
}

async function checkMetadata() {
  const response = await oauth.resourceDiscoveryRequest(url, { [oauth.allowInsecureRequests]: true });
  const document = await oauth.processResourceDiscoveryResponse(url, response);
  report.metadata = OAuthProtectedResourceMetadataSchema.parse(document);
}

async function v2() {
  const { Client, StreamableHTTPClientTransport, ClientCredentialsProvider } = await import(
    '@modelcontextprotocol/client'
  );
  const provider = new ClientCredentialsProvider({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    expectedIssuer: ISSUER,
  });
  const transport = new StreamableHTTPClientTransport(url, { authProvider: provider, fetch: recordingFetch });
  const client = new Client({ name: 'axioms-test-v2', version: '0.0.0' });
  await client.connect(transport);
  report.tools = (await client.listTools()).tools.map((t) => t.name);
  report.calls.whoami = text(await client.callTool({ name: 'whoami', arguments: {} }));
  report.calls.delete_note = text(await client.callTool({ name: 'delete_note', arguments: { id: 1 } }));
  report.calls.whoami_after = text(await client.callTool({ name: 'whoami', arguments: {} }));
  await client.close();
}

async function v1() {
  const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
  const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
  const { ClientCredentialsProvider } = await import('@modelcontextprotocol/sdk/client/auth-extensions.js');
  const connect = async (scope) => {
    const provider = new ClientCredentialsProvider({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      scope,
      expectedIssuer: ISSUER,
    });
    const transport = new StreamableHTTPClientTransport(url, { authProvider: provider, fetch: recordingFetch });
    const client = new Client({ name: 'axioms-test-v1', version: '0.0.0' });
    await client.connect(transport);
    return client;
  };
  // v1 asks for the scope its provider names: take it from the server's first challenge.
  const first = await recordingFetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  const initial = /scope="([^"]*)"/.exec(first.headers.get('www-authenticate') ?? '')?.[1];
  report.initial_scope = initial;
  let client = await connect(initial);
  report.tools = (await client.listTools()).tools.map((t) => t.name);
  report.calls.whoami = text(await client.callTool({ name: 'whoami', arguments: {} }));
  try {
    report.calls.delete_note_first = text(await client.callTool({ name: 'delete_note', arguments: { id: 1 } }));
  } catch (error) {
    report.errors.push({ call: 'delete_note', message: String(error?.message ?? error) });
  }
  await client.close();
  const challenge = [...report.exchanges]
    .reverse()
    .find((e) => e.status === 403)?.www_authenticate;
  const wider = /scope="([^"]*)"/.exec(challenge ?? '')?.[1];
  report.wider_scope = wider;
  client = await connect(wider);
  report.calls.delete_note = text(await client.callTool({ name: 'delete_note', arguments: { id: 1 } }));
  report.calls.whoami_after = text(await client.callTool({ name: 'whoami', arguments: {} }));
  await client.close();
}

try {
  await checkMetadata();
  await (SDK === 'v1' ? v1() : v2());
} catch (error) {
  report.errors.push({ fatal: true, message: String(error?.stack ?? error) });
}
process.stdout.write(`${JSON.stringify(report)}\n`);
