//! gRPC: tonic services behind `GrpcLayer` (feature `tonic`), called by tonic's client over
//! 127.0.0.1 — the status and metadata of each refusal, methods without a policy, streams
//! refused before their first message, and the same verdict as HTTP for the same token.
//! The example server called by Python's `grpcio` is in `examples::grpc`.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axioms::grpc::{GrpcLayer, GrpcMethods};
use axioms::testing::TestIssuer;
use axioms::{Axioms, Config, Trust, protected};
use axum::{Router, routing::get};
use futures_util::{Stream, StreamExt};
use serde_json::json;
use tonic::metadata::MetadataMap;
use tonic::transport::Channel;
use tonic::{Code, Request, Response, Status, Streaming};

use crate::common::{Transport, issuer_with_verifier, req, token};

mod notes {
    #![allow(missing_docs, unreachable_pub, clippy::all, clippy::unwrap_used)]
    tonic::include_proto!("notes.v1");
}

use notes::notes_client::NotesClient;
use notes::notes_server::{Notes, NotesServer};
use notes::{
    GetNoteRequest, ImportSummary, ListNotesRequest, Note, PingReply, PingRequest, PurgeReply,
    PurgeRequest, PutNoteRequest,
};

axioms::policy!(pub GrpcReaders: scopes = "notes:read");
axioms::policy!(pub GrpcWriters: scopes = "notes:write");

const AUDIENCE: &str = "notes-grpc";

/// The methods' policies; `Purge` has none, so it is refused to everyone.
fn methods() -> GrpcMethods {
    GrpcMethods::new()
        .without_authentication("/notes.v1.Notes/Ping")
        .method::<GrpcReaders>("/notes.v1.Notes/GetNote")
        .method::<GrpcReaders>("/notes.v1.Notes/ListNotes")
        .method::<GrpcWriters>("/notes.v1.Notes/PutNote")
        .method::<GrpcWriters>("/notes.v1.Notes/ImportNotes")
        .method::<GrpcWriters>("/notes.v1.Notes/EditNotes")
}

/// A service that counts the calls that reached it and the messages it read.
#[derive(Clone, Default)]
struct Counted {
    calls: Arc<AtomicUsize>,
    messages: Arc<AtomicUsize>,
}

type NoteStream = Pin<Box<dyn Stream<Item = Result<Note, Status>> + Send>>;

impl Counted {
    fn enter<T>(&self, request: &Request<T>) -> Result<String, Status> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let claims = axioms::grpc::claims(request)?;
        Ok(claims.subject().unwrap_or_default().to_owned())
    }

    fn note(owner: String) -> Note {
        Note {
            id: 1,
            owner,
            text: "hello".to_owned(),
        }
    }
}

#[tonic::async_trait]
impl Notes for Counted {
    async fn ping(&self, _: Request<PingRequest>) -> Result<Response<PingReply>, Status> {
        Ok(Response::new(PingReply {
            status: "serving".to_owned(),
        }))
    }

    async fn get_note(&self, request: Request<GetNoteRequest>) -> Result<Response<Note>, Status> {
        let sub = self.enter(&request)?;
        Ok(Response::new(Self::note(sub)))
    }

    async fn put_note(&self, request: Request<PutNoteRequest>) -> Result<Response<Note>, Status> {
        let sub = self.enter(&request)?;
        Ok(Response::new(Self::note(sub)))
    }

    type ListNotesStream = NoteStream;

    async fn list_notes(
        &self,
        request: Request<ListNotesRequest>,
    ) -> Result<Response<NoteStream>, Status> {
        let sub = self.enter(&request)?;
        let notes = vec![Ok(Self::note(sub.clone())), Ok(Self::note(sub))];
        Ok(Response::new(Box::pin(futures_util::stream::iter(notes))))
    }

    async fn import_notes(
        &self,
        request: Request<Streaming<PutNoteRequest>>,
    ) -> Result<Response<ImportSummary>, Status> {
        self.enter(&request)?;
        let mut stream = request.into_inner();
        let mut imported = 0;
        while stream.message().await?.is_some() {
            self.messages.fetch_add(1, Ordering::SeqCst);
            imported += 1;
        }
        Ok(Response::new(ImportSummary { imported }))
    }

    type EditNotesStream = NoteStream;

    async fn edit_notes(
        &self,
        request: Request<Streaming<PutNoteRequest>>,
    ) -> Result<Response<NoteStream>, Status> {
        let sub = self.enter(&request)?;
        let messages = Arc::clone(&self.messages);
        let echoed = request.into_inner().map(move |message| {
            messages.fetch_add(1, Ordering::SeqCst);
            Ok(Note {
                id: 1,
                owner: sub.clone(),
                text: message?.text,
            })
        });
        Ok(Response::new(Box::pin(echoed)))
    }

    async fn purge(&self, request: Request<PurgeRequest>) -> Result<Response<PurgeReply>, Status> {
        self.enter(&request)?;
        Ok(Response::new(PurgeReply { removed: 0 }))
    }
}

/// `service` behind `GrpcLayer::new(axioms, methods())` in tonic's own server on 127.0.0.1;
/// a client connected to it.
async fn serve(axioms: Axioms, service: Counted) -> NotesClient<Channel> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tonic::transport::Server::builder()
        .layer(GrpcLayer::new(axioms, methods()))
        .add_service(NotesServer::new(service))
        .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener));
    tokio::spawn(server);
    let channel = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    NotesClient::new(channel)
}

/// `message` with `authorization: Bearer <token>` when there is a token.
fn call<T>(message: T, token: Option<&str>) -> Request<T> {
    let mut request = Request::new(message);
    if let Some(token) = token {
        let value = format!("Bearer {token}").parse().unwrap();
        request.metadata_mut().insert("authorization", value);
    }
    request
}

fn challenge(metadata: &MetadataMap) -> String {
    metadata
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

async fn start() -> (TestIssuer, Axioms, Counted, NotesClient<Channel>) {
    let (issuer, axioms) = issuer_with_verifier(AUDIENCE).await;
    let service = Counted::default();
    let client = serve(axioms.clone(), service.clone()).await;
    (issuer, axioms, service, client)
}

#[tokio::test]
async fn a_call_gets_the_status_and_challenge_of_its_method_policy() {
    let (issuer, _axioms, service, mut client) = start().await;
    let reader = token(
        &issuer,
        AUDIENCE,
        json!({"sub": "ana", "scope": "notes:read"}),
    );

    // No token: UNAUTHENTICATED, with the bare challenge naming the scope to ask for.
    let none = client
        .get_note(call(GetNoteRequest { id: 1 }, None))
        .await
        .unwrap_err();
    assert_eq!(none.code(), Code::Unauthenticated);
    assert_eq!(none.message(), "a bearer access token is required");
    let www = challenge(none.metadata());
    assert!(www.starts_with("Bearer realm="), "{www}");
    assert!(
        www.contains(r#"scope="notes:read""#) && !www.contains("error="),
        "{www}"
    );

    // A forged token: UNAUTHENTICATED, `invalid_token`, and not a byte of the token back.
    let forged = format!("{}x", &reader[..reader.len() - 1]);
    let bad = client
        .get_note(call(GetNoteRequest { id: 1 }, Some(&forged)))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::Unauthenticated);
    assert!(challenge(bad.metadata()).contains(r#"error="invalid_token""#));
    let signature = forged.rsplit('.').next().unwrap();
    assert!(!bad.message().contains(signature));
    assert!(!format!("{:?}", bad.metadata()).contains(signature));

    // A valid token without the method's scope: PERMISSION_DENIED, `insufficient_scope`.
    let denied = client
        .put_note(call(PutNoteRequest::default(), Some(&reader)))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    let www = challenge(denied.metadata());
    assert!(
        www.contains(r#"error="insufficient_scope""#) && www.contains(r#"scope="notes:write""#),
        "{www}"
    );
    assert_eq!(
        service.calls.load(Ordering::SeqCst),
        0,
        "a refused call ran"
    );

    // Allowed: the method runs with the verified claims.
    let note = client
        .get_note(call(GetNoteRequest { id: 1 }, Some(&reader)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(note.owner, "ana");
    assert_eq!(service.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_expired_token_is_unauthenticated() {
    let (issuer, _axioms, service, mut client) = start().await;
    let expired = issuer
        .token()
        .audience(AUDIENCE)
        .claims(json!({"scope": "notes:read"}))
        .expires_in(-120)
        .sign();
    let status = client
        .get_note(call(GetNoteRequest { id: 1 }, Some(&expired)))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(status.message(), "the access token is invalid or expired");
    assert!(challenge(status.metadata()).contains(r#"error="invalid_token""#));
    assert_eq!(service.calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_method_without_a_policy_is_refused_and_an_open_one_needs_nothing() {
    let (issuer, _axioms, service, mut client) = start().await;
    let everything = token(
        &issuer,
        AUDIENCE,
        json!({"scope": "notes:read notes:write", "roles": ["admin"]}),
    );
    let purge = client
        .purge(call(PurgeRequest {}, Some(&everything)))
        .await
        .unwrap_err();
    assert_eq!(purge.code(), Code::PermissionDenied);
    // Without a token, the caller learns only that it needs one.
    let anonymous = client.purge(call(PurgeRequest {}, None)).await.unwrap_err();
    assert_eq!(anonymous.code(), Code::Unauthenticated);
    assert_eq!(service.calls.load(Ordering::SeqCst), 0);

    // `without_authentication`: no token, or a broken one, is not even read.
    for token in [None, Some("not-a-token")] {
        let pong = client.ping(call(PingRequest {}, token)).await.unwrap();
        assert_eq!(pong.into_inner().status, "serving");
    }
}

#[tokio::test]
async fn unavailable_keys_are_unavailable_with_retry_after() {
    let issuer = TestIssuer::start().await;
    // The key endpoint is a port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/jwks.json", closed.local_addr().unwrap());
    drop(closed);
    let axioms = crate::common::verifier(Config::builder(
        issuer.issuer_config(AUDIENCE).jwks_url(url),
    ));
    let mut client = serve(axioms, Counted::default()).await;
    let reader = token(&issuer, AUDIENCE, json!({"scope": "notes:read"}));
    let status = client
        .get_note(call(GetNoteRequest { id: 1 }, Some(&reader)))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unavailable);
    assert!(status.metadata().get("retry-after").is_some());
    assert!(status.metadata().get("www-authenticate").is_none());
}

#[tokio::test]
async fn a_refused_stream_never_reaches_its_first_message() {
    let (issuer, _axioms, service, mut client) = start().await;
    let reader = token(
        &issuer,
        AUDIENCE,
        json!({"sub": "ana", "scope": "notes:read"}),
    );
    let writer = token(
        &issuer,
        AUDIENCE,
        json!({"sub": "ana", "scope": "notes:write"}),
    );
    let messages = || {
        futures_util::stream::iter((0..3).map(|i| PutNoteRequest {
            text: format!("note {i}"),
        }))
    };

    // Client streaming and bidirectional, refused: neither method runs nor reads a message.
    let import = client
        .import_notes(call(messages(), Some(&reader)))
        .await
        .unwrap_err();
    assert_eq!(import.code(), Code::PermissionDenied);
    let edit = client.edit_notes(call(messages(), None)).await.unwrap_err();
    assert_eq!(edit.code(), Code::Unauthenticated);
    // Server streaming, refused before the first message is sent.
    let list = client
        .list_notes(call(ListNotesRequest {}, Some(&writer)))
        .await
        .unwrap_err();
    assert_eq!(list.code(), Code::PermissionDenied);
    assert_eq!(service.calls.load(Ordering::SeqCst), 0);
    assert_eq!(service.messages.load(Ordering::SeqCst), 0);

    // Allowed, each kind of stream runs to its end.
    let summary = client
        .import_notes(call(messages(), Some(&writer)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(summary.imported, 3);
    let edited: Vec<Note> = client
        .edit_notes(call(messages(), Some(&writer)))
        .await
        .unwrap()
        .into_inner()
        .map(Result::unwrap)
        .collect()
        .await;
    assert_eq!(edited.len(), 3);
    let listed: Vec<Note> = client
        .list_notes(call(ListNotesRequest {}, Some(&reader)))
        .await
        .unwrap()
        .into_inner()
        .map(Result::unwrap)
        .collect()
        .await;
    assert_eq!(listed.len(), 2);
    assert_eq!(service.messages.load(Ordering::SeqCst), 6);
}

// The HTTP routes of the same policies, for the comparison below.
#[protected(policy = GrpcReaders)]
async fn http_get_note() -> &'static str {
    "note"
}

#[protected(policy = GrpcWriters)]
async fn http_put_note() -> &'static str {
    "stored"
}

/// What gRPC answers for what HTTP answers.
fn grpc_code_of(status: http::StatusCode) -> Code {
    match status.as_u16() {
        200 => Code::Ok,
        401 | 400 => Code::Unauthenticated,
        403 => Code::PermissionDenied,
        503 => Code::Unavailable,
        other => panic!("HTTP {other} has no gRPC counterpart here"),
    }
}

#[tokio::test]
async fn the_same_token_gets_the_same_verdict_over_http_and_grpc() {
    // Two issuers: ours, and a partner trusted for the writers' policy only.
    let ours = TestIssuer::start().await;
    let partner = TestIssuer::start_with(&[axioms::Algorithm::ES256]).await;
    partner.set_issuer("https://partner.example");
    let config = Config::builder(ours.issuer_config(AUDIENCE))
        .trust(
            "partner",
            partner.issuer_config(AUDIENCE),
            Trust::partner_for(["GrpcWriters"]),
        )
        .build()
        .unwrap();
    let axioms = Axioms::new(config).unwrap();
    let http = Transport::oneshot(
        Router::new()
            .route("/notes/1", get(http_get_note).post(http_put_note))
            .with_state(axioms.clone()),
    );
    let mut grpc = serve(axioms, Counted::default()).await;

    let mut forged = token(&ours, AUDIENCE, json!({"scope": "notes:read"}));
    forged.push('x');
    let cases: Vec<(&str, Option<String>)> = vec![
        ("none", None),
        ("garbage", Some("not.a.token".to_owned())),
        ("forged", Some(forged)),
        (
            "expired",
            Some(
                ours.token()
                    .audience(AUDIENCE)
                    .claims(json!({"scope": "notes:read notes:write"}))
                    .expires_in(-120)
                    .sign(),
            ),
        ),
        (
            "another audience",
            Some(token(&ours, "another", json!({"scope": "notes:read"}))),
        ),
        (
            "our reader",
            Some(token(&ours, AUDIENCE, json!({"scope": "notes:read"}))),
        ),
        (
            "our writer",
            Some(token(&ours, AUDIENCE, json!({"scope": "notes:write"}))),
        ),
        (
            "partner reader and writer",
            Some(token(
                &partner,
                AUDIENCE,
                json!({"scope": "notes:read notes:write"}),
            )),
        ),
    ];
    let mut seen = std::collections::BTreeSet::new();
    for (case, token) in &cases {
        let token = token.as_deref();
        for (method, path) in [("GET", "GetNote"), ("POST", "PutNote")] {
            let over_http = http.send(req(method, "/notes/1").bearer_opt(token)).await;
            let over_grpc = match path {
                "GetNote" => grpc
                    .get_note(call(GetNoteRequest { id: 1 }, token))
                    .await
                    .map(|_| ()),
                _ => grpc
                    .put_note(call(PutNoteRequest::default(), token))
                    .await
                    .map(|_| ()),
            };
            let (code, www) = match &over_grpc {
                Ok(()) => (Code::Ok, None),
                Err(status) => (status.code(), Some(challenge(status.metadata()))),
            };
            assert_eq!(
                code,
                grpc_code_of(over_http.status),
                "{case} {path}: HTTP {}, gRPC {code:?}",
                over_http.status
            );
            // The same challenge, byte for byte.
            assert_eq!(www.as_deref(), over_http.www(), "{case} {path}");
            seen.insert((
                over_http.status.as_u16(),
                *case == "partner reader and writer",
            ));
        }
    }
    // The cases cover admission, refusal of every kind, and the partner's trust scope.
    for status in [200, 401, 403] {
        assert!(seen.contains(&(status, false)), "no case answered {status}");
    }
    assert!(
        seen.contains(&(200, true)) && seen.contains(&(403, true)),
        "{seen:?}"
    );
}

#[tokio::test]
async fn a_dpop_bound_token_needs_a_proof_for_the_method_it_calls() {
    const RESOURCE: &str = "https://notes.example.com";
    let issuer = TestIssuer::start().await;
    let axioms =
        crate::common::verifier(Config::builder(issuer.issuer_config(RESOURCE)).resource(RESOURCE));
    let service = Counted::default();
    let mut client = serve(axioms, service.clone()).await;
    let key = axioms::testing::DpopKey::generate(axioms::Algorithm::ES256);
    let bound = issuer
        .token()
        .audience(RESOURCE)
        .scope("notes:read")
        .bound_to(&key)
        .sign();
    let with_proof = |path: &str| {
        let proof = key
            .proof("POST", &format!("{RESOURCE}{path}"))
            .access_token(&bound)
            .sign();
        let mut request = Request::new(GetNoteRequest { id: 1 });
        let metadata = request.metadata_mut();
        metadata.insert("authorization", format!("DPoP {bound}").parse().unwrap());
        metadata.insert("dpop", proof.parse().unwrap());
        request
    };

    // The proof names this call's method: admitted.
    let note = client
        .get_note(with_proof("/notes.v1.Notes/GetNote"))
        .await
        .unwrap();
    assert_eq!(note.into_inner().text, "hello");
    // A proof made for another method: refused, on the DPoP challenge.
    let other = client
        .get_note(with_proof("/notes.v1.Notes/ListNotes"))
        .await
        .unwrap_err();
    assert_eq!(other.code(), Code::Unauthenticated);
    let www = challenge(other.metadata());
    let (scheme, params) = crate::common::challenges(&www)
        .into_iter()
        .find(|(_, params)| params.contains_key("error"))
        .unwrap();
    assert_eq!(
        (scheme.as_str(), params["error"].as_str()),
        ("DPoP", "invalid_dpop_proof")
    );
    // The bound token presented as a bearer token: refused.
    let bearer = client
        .get_note(call(GetNoteRequest { id: 1 }, Some(&bound)))
        .await
        .unwrap_err();
    assert_eq!(bearer.code(), Code::Unauthenticated);
    assert_eq!(service.calls.load(Ordering::SeqCst), 1);
}
