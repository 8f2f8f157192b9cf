//! A unary gRPC call over 127.0.0.1 (tonic client and server), with and without `GrpcLayer`,
//! in one run so the ratio is honest.
//!
//! `cargo bench -p axioms-benches --bench grpc`
//!
//! * `grpc/unary/no_layer` — the call to a server without axioms, no token;
//! * `grpc/unary/policy` — the same call through `GrpcLayer` with a `scopes = "notes:read"`
//!   policy, with a valid bearer token (verified once, then from the verified-token cache);
//! * `grpc/unary/refused` — the same call without a token: `UNAUTHENTICATED` from the layer;
//! * `grpc/in_process/*` — the server's side alone, without the network: one encoded
//!   `GetNote` request through tonic's service (`no_layer`) or through `GrpcLayer` in front of
//!   it (`policy`), the response read whole.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::pin::Pin;

use axioms::grpc::{GrpcLayer, GrpcMethods};
use axioms::testing::TestIssuer;
use axioms::{Axioms, Config};
use criterion::{Criterion, criterion_group, criterion_main};
use tokio::runtime::Runtime;
use tonic::codegen::tokio_stream::Stream;
use tonic::transport::Channel;
use tonic::{Request, Response, Status, Streaming};

mod notes {
    #![allow(missing_docs, unreachable_pub, clippy::all)]
    tonic::include_proto!("notes.v1");
}

use notes::notes_client::NotesClient;
use notes::notes_server::{Notes, NotesServer};
use notes::{
    GetNoteRequest, ImportSummary, ListNotesRequest, Note, PingReply, PingRequest, PurgeReply,
    PurgeRequest, PutNoteRequest,
};

axioms::policy!(pub BenchReaders: scopes = "notes:read");

const AUDIENCE: &str = "notes-grpc";

/// Answers `GetNote`; nothing else is called.
struct Bench;

type NoteStream = Pin<Box<dyn Stream<Item = Result<Note, Status>> + Send>>;

#[tonic::async_trait]
impl Notes for Bench {
    async fn ping(&self, _: Request<PingRequest>) -> Result<Response<PingReply>, Status> {
        Err(Status::unimplemented("bench"))
    }
    async fn get_note(&self, request: Request<GetNoteRequest>) -> Result<Response<Note>, Status> {
        Ok(Response::new(Note {
            id: request.get_ref().id,
            owner: "primary:user-1".to_owned(),
            text: "hello".to_owned(),
        }))
    }
    async fn put_note(&self, _: Request<PutNoteRequest>) -> Result<Response<Note>, Status> {
        Err(Status::unimplemented("bench"))
    }
    type ListNotesStream = NoteStream;
    async fn list_notes(
        &self,
        _: Request<ListNotesRequest>,
    ) -> Result<Response<NoteStream>, Status> {
        Err(Status::unimplemented("bench"))
    }
    async fn import_notes(
        &self,
        _: Request<Streaming<PutNoteRequest>>,
    ) -> Result<Response<ImportSummary>, Status> {
        Err(Status::unimplemented("bench"))
    }
    type EditNotesStream = NoteStream;
    async fn edit_notes(
        &self,
        _: Request<Streaming<PutNoteRequest>>,
    ) -> Result<Response<NoteStream>, Status> {
        Err(Status::unimplemented("bench"))
    }
    async fn purge(&self, _: Request<PurgeRequest>) -> Result<Response<PurgeReply>, Status> {
        Err(Status::unimplemented("bench"))
    }
}

/// A server on 127.0.0.1, with `GrpcLayer` when `axioms` is given; a client connected to it.
async fn serve(axioms: Option<Axioms>) -> NotesClient<Channel> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let incoming = tonic::transport::server::TcpIncoming::from(listener);
    let service = NotesServer::new(Bench);
    match axioms {
        Some(axioms) => {
            let methods = GrpcMethods::new().method::<BenchReaders>("/notes.v1.Notes/GetNote");
            let server = tonic::transport::Server::builder()
                .layer(GrpcLayer::new(axioms, methods))
                .add_service(service)
                .serve_with_incoming(incoming);
            tokio::spawn(server);
        }
        None => {
            let server = tonic::transport::Server::builder()
                .add_service(service)
                .serve_with_incoming(incoming);
            tokio::spawn(server);
        }
    }
    let channel = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    NotesClient::new(channel)
}

fn call(token: Option<&str>) -> Request<GetNoteRequest> {
    let mut request = Request::new(GetNoteRequest { id: 7 });
    if let Some(token) = token {
        let value = format!("Bearer {token}").parse().unwrap();
        request.metadata_mut().insert("authorization", value);
    }
    request
}

/// A test issuer, a verifier of its tokens with the keys loaded, and a `notes:read` token.
async fn issuer_and_verifier() -> (TestIssuer, Axioms, String) {
    let issuer = TestIssuer::start().await;
    let config = Config::builder(issuer.issuer_config(AUDIENCE));
    let axioms = Axioms::new(config.build().unwrap()).unwrap();
    assert!(axioms.ready(std::time::Duration::from_secs(10)).await);
    let token = issuer.token().audience(AUDIENCE).scope("notes:read").sign();
    (issuer, axioms, token)
}

fn unary(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (_issuer, axioms, token) = rt.block_on(issuer_and_verifier());
    let plain = rt.block_on(serve(None));
    let guarded = rt.block_on(serve(Some(axioms)));
    // Each client works before it is measured.
    check(&rt, &plain, None, true);
    check(&rt, &guarded, Some(&token), true);
    check(&rt, &guarded, None, false);

    let mut group = c.benchmark_group("grpc/unary");
    group.bench_function("no_layer", |b| {
        b.iter(|| rt.block_on(plain.clone().get_note(call(None))).unwrap());
    });
    group.bench_function("policy", |b| {
        b.iter(|| {
            rt.block_on(guarded.clone().get_note(call(Some(&token))))
                .unwrap()
        });
    });
    group.bench_function("refused", |b| {
        b.iter(|| {
            rt.block_on(guarded.clone().get_note(call(None)))
                .unwrap_err()
        });
    });
    group.finish();
}

/// One `GetNote` call as the bytes a client sends: a gRPC frame of the encoded message.
fn grpc_request(token: Option<&str>) -> http::Request<tonic::body::Body> {
    use prost::Message as _;
    let message = GetNoteRequest { id: 7 }.encode_to_vec();
    let mut frame = vec![0u8];
    frame.extend_from_slice(&u32::try_from(message.len()).unwrap().to_be_bytes());
    frame.extend_from_slice(&message);
    let mut request = http::Request::builder()
        .method("POST")
        .uri("http://127.0.0.1/notes.v1.Notes/GetNote")
        .header("content-type", "application/grpc")
        .header("te", "trailers");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    request
        .body(tonic::body::Body::new(http_body_util::Full::new(
            bytes::Bytes::from(frame),
        )))
        .unwrap()
}

/// The response's status, read from its trailers (or its headers, trailers-only).
async fn grpc_status<S, B>(service: S, token: Option<&str>) -> String
where
    S: tower::Service<http::Request<tonic::body::Body>, Response = http::Response<B>>,
    S::Error: std::fmt::Debug,
    B: http_body::Body,
    B::Error: std::fmt::Debug,
{
    use http_body_util::BodyExt as _;
    use tower::ServiceExt as _;
    let response = service.oneshot(grpc_request(token)).await.unwrap();
    if let Some(status) = response.headers().get("grpc-status") {
        return status.to_str().unwrap().to_owned();
    }
    let collected = response.into_body().collect().await.unwrap();
    let trailers = collected.trailers().cloned().unwrap_or_default();
    trailers["grpc-status"].to_str().unwrap().to_owned()
}

fn in_process(c: &mut Criterion) {
    use tower::Layer as _;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (_issuer, axioms, token) = rt.block_on(issuer_and_verifier());
    let plain = NotesServer::new(Bench);
    let methods = GrpcMethods::new().method::<BenchReaders>("/notes.v1.Notes/GetNote");
    let guarded = GrpcLayer::new(axioms, methods).layer(NotesServer::new(Bench));
    assert_eq!(rt.block_on(grpc_status(plain.clone(), None)), "0");
    assert_eq!(rt.block_on(grpc_status(guarded.clone(), Some(&token))), "0");
    assert_eq!(rt.block_on(grpc_status(guarded.clone(), None)), "16");

    let mut group = c.benchmark_group("grpc/in_process");
    group.bench_function("no_layer", |b| {
        b.iter(|| rt.block_on(grpc_status(plain.clone(), None)));
    });
    group.bench_function("policy", |b| {
        b.iter(|| rt.block_on(grpc_status(guarded.clone(), Some(&token))));
    });
    group.finish();
}

fn check(rt: &Runtime, client: &NotesClient<Channel>, token: Option<&str>, ok: bool) {
    let answer = rt.block_on(client.clone().get_note(call(token)));
    assert_eq!(answer.is_ok(), ok, "{answer:?}");
}

criterion_group!(benches, unary, in_process);
criterion_main!(benches);
