// The official MCP TypeScript SDK's client, against an MCP server protected by axioms
// (tests/it/mcp.rs). It knows only the server's URL and its own client credentials: everything
// else — the authorization server, the scopes — it discovers from the server's answers.
//
// Usage: MCP_URL=… CLIENT_ID=… CLIENT_SECRET=… ISSUER=… SDK=v2|v1 [ERA=legacy|modern]
//        node mcp_client.mjs
//
// * SDK=v2 (`@modelcontextprotocol/client`): ERA=legacy (the default) connects with
//   `initialize` (2025-11-25); ERA=modern pins protocol 2026-07-28 (`server/discover`, no
//   fallback). The client lists tools, calls `whoami`, `notes` read, then `notes` write,
//   which needs a scope its token lacks: the server's 403 `insufficient_scope` challenge
//   makes the client obtain a token with the wider scope and retry (the SDK's step-up). It
//   then lists tools again, resources, resource templates and prompts, reads the note it
//   wrote, reads `notes://1` (another user's: must be refused) and calls `whoami` again.
// * SDK=v1 (`@modelcontextprotocol/sdk`, legacy era only): whoami, then `notes` write, which
//   is refused; v1 does not widen the scope of a client-credentials token by itself, so the
//   script reads the challenge's `scope` from the 403 and connects again with a provider for
//   that scope, then writes the note and calls `whoami` again.
// * both: the metadata document is validated by the SDK's own schema
//   (`OAuthProtectedResourceMetadataSchema`) and by oauth4webapi's
//   `processResourceDiscoveryResponse` (which checks `resource` against the URL).
//
// Prints one JSON report line on stdout: every HTTP exchange the client made (method, URL,
// status, `WWW-Authenticate`, the request's `Mcp-Method`, `Mcp-Name` and
// `MCP-Protocol-Version` headers, the JSON-RPC method and name of a POST, and for token
// requests the `scope` and `resource` sent), the tools listed, the results of the calls, the
// refusals and the errors met. The Rust test asserts on it.
import process from 'node:process';

import * as oauth from 'oauth4webapi';
import { OAuthProtectedResourceMetadataSchema } from '@modelcontextprotocol/sdk/shared/auth.js';

// The SDKs log some notices with console.debug/log (stdout): keep stdout for the report.
for (const level of ['log', 'info', 'debug']) {
  console[level] = (...args) => console.error(...args);
}

const { MCP_URL, CLIENT_ID, CLIENT_SECRET, ISSUER } = process.env;
const SDK = process.env.SDK ?? 'v2';
const ERA = process.env.ERA ?? 'legacy';
const url = new URL(MCP_URL);
const report = { sdk: SDK, exchanges: [], tools: [], calls: {}, refusals: {}, errors: [] };

/** The request headers of a `fetch` call. */
function requestHeaders(input, init) {
  if (init?.headers !== undefined) {
    return new Headers(init.headers);
  }
  return input instanceof Request ? input.headers : new Headers();
}

/** `fetch`, recording each exchange. */
async function recordingFetch(input, init) {
  const response = await fetch(input, init);
  const target = String(input instanceof Request ? input.url : input);
  const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
  const exchange = {
    method,
    url: target,
    status: response.status,
    www_authenticate: response.headers.get('www-authenticate'),
  };
  const headers = requestHeaders(input, init);
  for (const [key, name] of [
    ['mcp_method', 'mcp-method'],
    ['mcp_name', 'mcp-name'],
    ['protocol_version', 'mcp-protocol-version'],
  ]) {
    const value = headers.get(name);
    if (value !== null) {
      exchange[key] = value;
    }
  }
  if (target.endsWith('/token') && init?.body) {
    const form = new URLSearchParams(String(init.body));
    exchange.token_request = { scope: form.get('scope'), resource: form.get('resource') };
  } else if (method === 'POST' && target === url.href && typeof init?.body === 'string') {
    try {
      const message = JSON.parse(init.body);
      exchange.rpc_method = message.method ?? null;
      exchange.rpc_name = message.params?.name ?? message.params?.uri ?? null;
    } catch {
      // Not JSON: the exchange is recorded without them.
    }
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
  const modes = { legacy: 'legacy', modern: { pin: '2026-07-28' } };
  if (!Object.hasOwn(modes, ERA)) {
    throw new Error(`ERA must be legacy or modern, not ${ERA}`);
  }
  const provider = new ClientCredentialsProvider({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    expectedIssuer: ISSUER,
  });
  const transport = new StreamableHTTPClientTransport(url, { authProvider: provider, fetch: recordingFetch });
  // The last JSON-RPC error the server sent, as sent (the SDK may map its code).
  let wireError;
  transport.onmessage = (message) => {
    if (message?.error) {
      wireError = message.error;
    }
  };
  const client = new Client(
    { name: 'axioms-test-v2', version: '0.0.0' },
    { versionNegotiation: { mode: modes[ERA] } },
  );
  await client.connect(transport);
  report.era = client.getProtocolEra?.();
  report.protocol_version = client.getNegotiatedProtocolVersion?.();
  report.server_capabilities = client.getServerCapabilities();
  report.step_up = 'sdk';

  report.tools = (await client.listTools()).tools.map((t) => t.name);
  report.calls.whoami = text(await client.callTool({ name: 'whoami', arguments: {} }));
  report.calls.notes_read = text(await client.callTool({ name: 'notes', arguments: { mode: 'read' } }));
  // Needs notes:write: 403, step-up, retry.
  report.calls.notes_write = text(
    await client.callTool({ name: 'notes', arguments: { mode: 'write', text: 'mine' } }),
  );
  // 'refresh': the first listing was made with the narrower token.
  report.tools_after = (await client.listTools(undefined, { cacheMode: 'refresh' })).tools.map((t) => t.name);
  report.resources = (await client.listResources()).resources.map((r) => r.uri);
  report.templates = (await client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate);
  report.prompts = (await client.listPrompts()).prompts.map((p) => p.name);

  const written = /added note (\d+)/.exec(report.calls.notes_write)?.[1];
  if (written === undefined) {
    throw new Error(`no note id in ${JSON.stringify(report.calls.notes_write)}`);
  }
  report.note_id = Number(written);
  const own = await client.readResource({ uri: `notes://${written}` });
  report.calls.read_own = own.contents.map((c) => c.text ?? '').join('');
  wireError = undefined;
  try {
    const other = await client.readResource({ uri: 'notes://1' });
    report.calls.read_other = other.contents.map((c) => c.text ?? '').join('');
    report.refusals.read_other = null;
  } catch (error) {
    if (typeof error?.code !== 'number') {
      throw error;
    }
    report.refusals.read_other = {
      code: wireError?.code ?? error.code,
      message: wireError?.message ?? error.message,
      sdk_code: error.code,
    };
  }
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
  const write = { name: 'notes', arguments: { mode: 'write', text: 'mine' } };
  // v1 asks for the scope its provider names: take it from the server's first challenge.
  const first = await recordingFetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  const initial = /scope="([^"]*)"/.exec(first.headers.get('www-authenticate') ?? '')?.[1];
  report.initial_scope = initial;
  let client = await connect(initial);
  report.tools = (await client.listTools()).tools.map((t) => t.name);
  report.calls.whoami = text(await client.callTool({ name: 'whoami', arguments: {} }));
  try {
    report.calls.notes_write_first = text(await client.callTool(write));
  } catch (error) {
    report.errors.push({ call: 'notes_write', message: String(error?.message ?? error) });
  }
  await client.close();
  const challenge = [...report.exchanges]
    .reverse()
    .find((e) => e.status === 403)?.www_authenticate;
  const wider = /scope="([^"]*)"/.exec(challenge ?? '')?.[1];
  report.wider_scope = wider;
  client = await connect(wider);
  report.calls.notes_write = text(await client.callTool(write));
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
