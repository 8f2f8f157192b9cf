"""A gRPC client nobody in this repository wrote (grpcio), against examples/grpc.

Generates the stubs of examples/grpc/notes.proto with grpcio-tools into a temporary
directory, mints tokens from the example's development issuer (POST /dev/token), makes
the calls of the scenario and prints one JSON report on stdout: for each call its status
code name, and the `www-authenticate` metadata the server sent.

Usage: python client.py <proto dir> <127.0.0.1:port>
"""

import importlib
import json
import sys
import tempfile
import time
import urllib.request

import grpc
from grpc_tools import protoc


def stubs(proto_dir, out):
    status = protoc.main(
        ["grpc_tools.protoc", f"-I{proto_dir}", f"--python_out={out}",
         f"--grpc_python_out={out}", f"{proto_dir}/notes.proto"]
    )
    if status != 0:
        raise SystemExit(f"protoc failed: {status}")
    sys.path.insert(0, out)
    return importlib.import_module("notes_pb2"), importlib.import_module("notes_pb2_grpc")


def mint(addr, claims):
    request = urllib.request.Request(
        f"http://{addr}/dev/token", data=json.dumps(claims).encode(),
        headers={"content-type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["access_token"]


def outcome(call):
    """The status of `call()` and the challenge sent with it (headers or trailers)."""
    try:
        reply = call()
        return {"code": "OK", "reply": reply}
    except grpc.RpcError as err:
        metadata = list(err.initial_metadata() or []) + list(err.trailing_metadata() or [])
        www = [v for k, v in metadata if k == "www-authenticate"]
        return {"code": err.code().name, "message": err.details(),
                "www_authenticate": www[0] if www else None,
                "in_trailers": any(k == "www-authenticate" for k, _ in (err.trailing_metadata() or []))}


def main():
    proto_dir, addr = sys.argv[1], sys.argv[2]
    out = tempfile.mkdtemp()
    pb, rpc = stubs(proto_dir, out)
    channel = grpc.insecure_channel(addr)
    grpc.channel_ready_future(channel).result(timeout=20)
    notes = rpc.NotesStub(channel)

    alice = mint(addr, {"sub": "alice", "scope": "notes:read notes:write"})
    bob = mint(addr, {"sub": "bob", "scope": "notes:read"})
    admin = mint(addr, {"sub": "dana", "roles": ["admin"]})
    expired = mint(addr, {"sub": "alice", "scope": "notes:read", "expires_in": -600})

    def auth(token):
        return [("authorization", f"Bearer {token}")]

    report = {}
    report["ping"] = outcome(lambda: notes.Ping(pb.PingRequest()).status)
    report["get_without_token"] = outcome(lambda: notes.GetNote(pb.GetNoteRequest(id=1)).text)
    put = outcome(lambda: notes.PutNote(pb.PutNoteRequest(text="alice's note"),
                                        metadata=auth(alice)).id)
    report["alice_put"] = put
    note_id = put.get("reply", 0)
    report["alice_get_own"] = outcome(lambda: notes.GetNote(
        pb.GetNoteRequest(id=note_id), metadata=auth(alice)).text)
    report["bob_get_alices"] = outcome(lambda: notes.GetNote(
        pb.GetNoteRequest(id=note_id), metadata=auth(bob)).text)
    report["bob_put"] = outcome(lambda: notes.PutNote(
        pb.PutNoteRequest(text="bob's"), metadata=auth(bob)).id)
    report["expired_get"] = outcome(lambda: notes.GetNote(
        pb.GetNoteRequest(id=note_id), metadata=auth(expired)).text)
    report["bob_import"] = outcome(lambda: notes.ImportNotes(
        iter([pb.PutNoteRequest(text="a"), pb.PutNoteRequest(text="b")]),
        metadata=auth(bob)).imported)
    report["alice_import"] = outcome(lambda: notes.ImportNotes(
        iter([pb.PutNoteRequest(text="a"), pb.PutNoteRequest(text="b")]),
        metadata=auth(alice)).imported)
    report["alice_list"] = outcome(lambda: [n.text for n in notes.ListNotes(
        pb.ListNotesRequest(), metadata=auth(alice))])
    report["bob_list"] = outcome(lambda: [n.text for n in notes.ListNotes(
        pb.ListNotesRequest(), metadata=auth(bob))])
    report["alice_edit"] = outcome(lambda: [n.text for n in notes.EditNotes(
        iter([pb.PutNoteRequest(text="x"), pb.PutNoteRequest(text="y")]),
        metadata=auth(alice))])
    report["alice_purge"] = outcome(lambda: notes.Purge(pb.PurgeRequest(),
                                                         metadata=auth(alice)).removed)
    report["admin_purge"] = outcome(lambda: notes.Purge(pb.PurgeRequest(),
                                                         metadata=auth(admin)).removed)
    report["tokens"] = [alice, bob, admin, expired]
    print(json.dumps(report))


if __name__ == "__main__":
    start = time.monotonic()
    main()
    print(f"client ran {time.monotonic() - start:.1f} s", file=sys.stderr)
