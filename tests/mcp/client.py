"""The official MCP Python SDK's client (`mcp`), against an MCP server protected by axioms.

Usage: MCP_URL=… CLIENT_ID=… CLIENT_SECRET=… ISSUER=… ERA=modern|legacy \
       tests/mcp/.venv/bin/python tests/mcp/client.py

The client knows only the server's URL and its own client credentials: the SDK's
`ClientCredentialsOAuthProvider` discovers the authorization server from the server's 401 and
its RFC 9728 metadata. ERA=legacy (the default) connects with `initialize`; ERA=modern probes
`server/discover` (mode "auto") and must end on a 2026-07-28 connection. The flow: list tools,
call `whoami`, `notes` read, `notes` write (403 `insufficient_scope`: the SDK obtains a token
with the union of the scopes and retries), list tools again, resources, resource templates and
prompts, read the note written, read `notes://1` (another user's: must be refused), `whoami`
again.

Prints one JSON report line on stdout (the keys of tests/oidc/mcp_client.mjs's v2 report, with
every HTTP exchange: method, url, status, www_authenticate, the request's Mcp-Method, Mcp-Name
and MCP-Protocol-Version headers, the JSON-RPC method and name of a POST, and for token requests
the form's scope and resource). A failure is an error with "fatal": true; the exit status is 0.
"""

from __future__ import annotations

import json
import os
import re
import traceback
from typing import Any
from urllib.parse import parse_qs

import anyio
import httpx2
from mcp_types import CallToolResult, Implementation, ReadResourceResult
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from mcp.client import Client
from mcp.client.auth import TokenStorage
from mcp.client.auth.extensions.client_credentials import ClientCredentialsOAuthProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken
from mcp.shared.exceptions import MCPError

MCP_URL = os.environ.get("MCP_URL", "")
CLIENT_ID = os.environ.get("CLIENT_ID", "")
CLIENT_SECRET = os.environ.get("CLIENT_SECRET", "")
ISSUER = os.environ.get("ISSUER")
ERA = os.environ.get("ERA", "legacy")
MODES = {"legacy": "legacy", "modern": "auto"}
# The whole flow; each request also has its own read timeout.
DEADLINE_SECONDS = 120

report: dict[str, Any] = {
    "sdk": "python",
    "exchanges": [],
    "tools": [],
    "calls": {},
    "refusals": {},
    "errors": [],
}


class MemoryStorage(TokenStorage):
    """Tokens and client information, in memory only."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info


class RecordingTransport(httpx2.AsyncBaseTransport):
    """Sends with `inner` and records each exchange in the report."""

    HEADERS = (("mcp_method", "mcp-method"), ("mcp_name", "mcp-name"), ("protocol_version", "mcp-protocol-version"))

    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        response = await self.inner.handle_async_request(request)
        target = str(request.url)
        exchange: dict[str, Any] = {
            "method": request.method,
            "url": target,
            "status": response.status_code,
            "www_authenticate": response.headers.get("www-authenticate"),
        }
        for key, name in self.HEADERS:
            value = request.headers.get(name)
            if value is not None:
                exchange[key] = value
        try:
            body = request.content
        except httpx2.RequestNotRead:
            body = b""
        if request.url.path.endswith("/token") and body:
            form = parse_qs(body.decode(), keep_blank_values=True)
            exchange["token_request"] = {
                "scope": form.get("scope", [None])[0],
                "resource": form.get("resource", [None])[0],
            }
        elif request.method == "POST" and target == MCP_URL and body:
            try:
                message = json.loads(body)
                params = message.get("params") or {}
                exchange["rpc_method"] = message.get("method")
                exchange["rpc_name"] = params.get("name", params.get("uri"))
            except (ValueError, AttributeError):
                pass
        report["exchanges"].append(exchange)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def text(result: CallToolResult) -> str:
    return "".join(getattr(c, "text", "") for c in result.content)


def contents(result: ReadResourceResult) -> str:
    return "".join(getattr(c, "text", "") for c in result.contents)


async def all_pages(fetch: Any, items: str, **kwargs: Any) -> list[Any]:
    """Every item of a paginated list call."""
    found: list[Any] = []
    cursor = None
    while True:
        page = await fetch(cursor=cursor, **kwargs)
        found.extend(getattr(page, items))
        cursor = page.next_cursor
        if cursor is None:
            return found


async def flow() -> None:
    if ERA not in MODES:
        raise ValueError(f"ERA must be legacy or modern, not {ERA}")
    provider = ClientCredentialsOAuthProvider(
        server_url=MCP_URL,
        storage=MemoryStorage(),
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        issuer=ISSUER,
    )
    http = httpx2.AsyncClient(
        auth=provider,
        transport=RecordingTransport(httpx2.AsyncHTTPTransport()),
        timeout=httpx2.Timeout(30, read=60),
    )
    async with (
        http,
        Client(
            streamable_http_client(MCP_URL, http_client=http),
            mode=MODES[ERA],
            client_info=Implementation(name="axioms-test-python", version="0.0.0"),
            read_timeout_seconds=60,
        ) as client,
    ):
        version = client.protocol_version
        report["protocol_version"] = version
        report["era"] = "modern" if version in MODERN_PROTOCOL_VERSIONS else "legacy"
        report["server_capabilities"] = client.server_capabilities.model_dump(
            mode="json", by_alias=True, exclude_none=True
        )
        # ClientCredentialsOAuthProvider steps up on a 403 insufficient_scope (SEP-2350).
        report["step_up"] = "sdk"
        if ERA == "modern" and report["era"] != "modern":
            raise RuntimeError(f"ERA=modern, but the connection negotiated {version}")

        calls = report["calls"]
        report["tools"] = [t.name for t in await all_pages(client.list_tools, "tools")]
        calls["whoami"] = text(await client.call_tool("whoami", {}))
        calls["notes_read"] = text(await client.call_tool("notes", {"mode": "read"}))
        # Needs notes:write: 403, step-up, retry.
        calls["notes_write"] = text(await client.call_tool("notes", {"mode": "write", "text": "mine"}))
        # "refresh": the first listing was made with the narrower token.
        report["tools_after"] = [t.name for t in await all_pages(client.list_tools, "tools", cache_mode="refresh")]
        report["resources"] = [r.uri for r in await all_pages(client.list_resources, "resources")]
        report["templates"] = [
            t.uri_template for t in await all_pages(client.list_resource_templates, "resource_templates")
        ]
        report["prompts"] = [p.name for p in await all_pages(client.list_prompts, "prompts")]

        written = re.search(r"added note (\d+)", calls["notes_write"])
        if written is None:
            raise RuntimeError(f"no note id in {calls['notes_write']!r}")
        report["note_id"] = int(written.group(1))
        calls["read_own"] = contents(await client.read_resource(f"notes://{written.group(1)}"))
        try:
            calls["read_other"] = contents(await client.read_resource("notes://1"))
            report["refusals"]["read_other"] = None
        except MCPError as error:
            report["refusals"]["read_other"] = {"code": error.code, "message": error.message}
        calls["whoami_after"] = text(await client.call_tool("whoami", {}))


async def main() -> None:
    try:
        with anyio.fail_after(DEADLINE_SECONDS):
            await flow()
    except Exception as error:  # noqa: BLE001 - any failure goes into the report
        message = "".join(traceback.format_exception(error))
        report["errors"].append({"fatal": True, "message": message})
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    anyio.run(main)
