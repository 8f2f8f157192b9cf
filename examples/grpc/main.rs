//! A tonic gRPC service protected like an axum handler: a policy per method
//! ([`GrpcMethods`]), enforced by [`GrpcLayer`] through the same pipeline as HTTP.
//!
//! ```text
//! cargo run --example grpc
//! ```
//!
//! With no issuer configured it runs on the tutorial's embedded development issuer: `POST
//! /dev/token` on the same port mints tokens (loopback only). With `AXIOMS_ISS_URL` (and the
//! rest of the `AXIOMS_*` variables) it verifies a real issuer's tokens. The service is
//! `notes.v1.Notes` (examples/grpc/notes.proto), served with HTTP/2 over cleartext on
//! `BIND_ADDR` (default 127.0.0.1:50051), beside the development routes over HTTP/1.1.

use std::collections::BTreeMap;
use std::error::Error;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use axioms::grpc::{self, GrpcLayer, GrpcMethods};
use axioms::{Axioms, Claims, Config, Principal};
use futures_util::{Stream, StreamExt};
use tonic::{Request, Response, Status, Streaming};

use notes::notes_server::{Notes, NotesServer};
use notes::{
    GetNoteRequest, ImportSummary, ListNotesRequest, Note, PingReply, PingRequest, PurgeReply,
    PurgeRequest, PutNoteRequest,
};

/// The code tonic generates from notes.proto (by build.rs).
mod notes {
    #![allow(missing_docs, unreachable_pub, clippy::all)]
    tonic::include_proto!("notes.v1");
}

// The tutorial's development issuer (and the error type its route answers with).
#[path = "../tutorial/dev_issuer.rs"]
#[allow(dead_code)]
mod dev_issuer;
#[path = "../tutorial/error.rs"]
#[allow(dead_code)]
mod error;

axioms::policy!(
    /// Reading notes.
    pub NotesRead: scopes = "notes:read"
);
axioms::policy!(
    /// Writing notes.
    pub NotesWrite: scopes = "notes:write"
);
axioms::policy!(
    /// Administration.
    pub Admin: roles = "admin"
);

/// Each method's policy. A method missing here is refused to everyone.
fn methods() -> GrpcMethods {
    GrpcMethods::new()
        .without_authentication("/notes.v1.Notes/Ping")
        .method::<NotesRead>("/notes.v1.Notes/GetNote")
        .method::<NotesRead>("/notes.v1.Notes/ListNotes")
        .method::<NotesWrite>("/notes.v1.Notes/PutNote")
        .method::<NotesWrite>("/notes.v1.Notes/ImportNotes")
        .method::<NotesWrite>("/notes.v1.Notes/EditNotes")
        .method::<Admin>("/notes.v1.Notes/Purge")
}

/// The notes, in memory.
#[derive(Default)]
struct Store {
    notes: Mutex<BTreeMap<u64, Note>>,
}

impl Store {
    fn put(&self, owner: &Principal, text: String) -> Note {
        let mut notes = self.notes.lock().unwrap_or_else(|e| e.into_inner());
        let id = notes.keys().next_back().map_or(1, |last| last + 1);
        let note = Note {
            id,
            owner: owner.to_string(),
            text,
        };
        notes.insert(id, note.clone());
        note
    }
}

/// The caller's principal (`directory:subject`): what a note's `owner` is.
fn principal(claims: &Claims) -> Result<Principal, Status> {
    claims
        .principal()
        .ok_or_else(|| Status::permission_denied("the access token names no subject"))
}

type NoteStream = Pin<Box<dyn Stream<Item = Result<Note, Status>> + Send>>;

#[tonic::async_trait]
impl Notes for Arc<Store> {
    async fn ping(&self, _: Request<PingRequest>) -> Result<Response<PingReply>, Status> {
        Ok(Response::new(PingReply {
            status: "serving".to_owned(),
        }))
    }

    async fn get_note(&self, request: Request<GetNoteRequest>) -> Result<Response<Note>, Status> {
        let claims = grpc::claims(&request)?;
        let id = request.get_ref().id;
        let note = self
            .notes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
            .cloned();
        // Ownership in the method: the layer decided before the message was decoded.
        // Another user's note answers as a missing one, so its existence does not leak.
        match note {
            Some(note) if owned_by(claims, &note) => Ok(Response::new(note)),
            _ => Err(Status::not_found("no such note")),
        }
    }

    async fn put_note(&self, request: Request<PutNoteRequest>) -> Result<Response<Note>, Status> {
        let owner = principal(grpc::claims(&request)?)?;
        let note = self.put(&owner, request.into_inner().text);
        Ok(Response::new(note))
    }

    type ListNotesStream = NoteStream;

    async fn list_notes(
        &self,
        request: Request<ListNotesRequest>,
    ) -> Result<Response<NoteStream>, Status> {
        let claims = grpc::claims(&request)?;
        let mine: Vec<Result<Note, Status>> = self
            .notes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .filter(|note| owned_by(claims, note))
            .cloned()
            .map(Ok)
            .collect();
        Ok(Response::new(Box::pin(futures_util::stream::iter(mine))))
    }

    async fn import_notes(
        &self,
        request: Request<Streaming<PutNoteRequest>>,
    ) -> Result<Response<ImportSummary>, Status> {
        let owner = principal(grpc::claims(&request)?)?;
        let mut stream = request.into_inner();
        let mut imported = 0;
        while let Some(note) = stream.message().await? {
            self.put(&owner, note.text);
            imported += 1;
        }
        Ok(Response::new(ImportSummary { imported }))
    }

    type EditNotesStream = NoteStream;

    async fn edit_notes(
        &self,
        request: Request<Streaming<PutNoteRequest>>,
    ) -> Result<Response<NoteStream>, Status> {
        let owner = principal(grpc::claims(&request)?)?;
        let store = Arc::clone(self);
        let stored = request.into_inner().map(move |message| {
            let note = message?;
            Ok(store.put(&owner, note.text))
        });
        Ok(Response::new(Box::pin(stored)))
    }

    async fn purge(&self, _: Request<PurgeRequest>) -> Result<Response<PurgeReply>, Status> {
        let mut notes = self.notes.lock().unwrap_or_else(|e| e.into_inner());
        let removed = notes.len() as u64;
        notes.clear();
        Ok(Response::new(PurgeReply { removed }))
    }
}

/// Whether the caller owns `note`: within the caller's user directory, as `owner(…)` decides.
fn owned_by(claims: &Claims, note: &Note) -> bool {
    note.owner
        .parse::<Principal>()
        .is_ok_and(|owner| claims.owns(&owner, "sub"))
}

const DEFAULT_BIND_ADDR: &str = "127.0.0.1:50051";
const DEV_AUDIENCE: &str = "notes-grpc";

fn var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,axioms=debug")),
        )
        .with_writer(std::io::stderr)
        .init();
    let dev_mode = ["AXIOMS_ISS_URL", "AXIOMS_JWKS_URL", "AXIOMS_DOMAIN"]
        .iter()
        .all(|name| var(name).is_none());
    let bind = var("BIND_ADDR").unwrap_or_else(|| DEFAULT_BIND_ADDR.into());
    let listener = tokio::net::TcpListener::bind(&bind)
        .await
        .map_err(|e| format!("BIND_ADDR: cannot listen on {bind}: {e}"))?;
    let addr = listener.local_addr()?;
    if dev_mode && !addr.ip().is_loopback() {
        return Err("development mode mints tokens for anyone: it listens on loopback only".into());
    }

    let (axioms, dev) = if dev_mode {
        let dev = dev_issuer::DevIssuer::start(DEV_AUDIENCE.to_owned()).await;
        let config = Config::from_vars(|name| match name {
            "AXIOMS_ISS_URL" => Some(dev.url()),
            "AXIOMS_AUDIENCE" => Some(DEV_AUDIENCE.to_owned()),
            _ => std::env::var(name).ok(),
        })?;
        (Axioms::new(config)?, Some(Arc::new(dev)))
    } else {
        (Axioms::from_env()?, None)
    };

    // tonic's routes as an axum router, so that the development routes share the port
    // (`tonic::transport::Server::builder().layer(GrpcLayer::new(…))` works the same).
    let grpc = tonic::service::Routes::new(NotesServer::new(Arc::new(Store::default())))
        .into_axum_router()
        .layer(GrpcLayer::new(axioms, methods()));
    let app = match &dev {
        Some(dev) => grpc.merge(dev_issuer::routes::<()>(Arc::clone(dev))),
        None => grpc,
    };
    println!("listening on http://{addr}");
    println!(
        "notes.v1.Notes over HTTP/2 without TLS (h2c); policies: {:?}",
        methods()
    );
    if dev.is_some() {
        println!(
            "development issuer: curl -s -X POST http://{addr}/dev/token -H 'content-type: \
             application/json' -d '{{\"sub\":\"alice\",\"scope\":\"notes:read notes:write\"}}'"
        );
    }
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
