//! `#[protected]` on a tonic service's method: the error says where its policy goes.
use axioms::protected;
use tonic::{Request, Response, Status};

struct Notes;

impl Notes {
    #[protected(scopes = "notes:read")]
    async fn get_note(&self, request: Request<u64>) -> Result<Response<String>, Status> {
        Ok(Response::new(request.into_inner().to_string()))
    }
}

fn main() {
    let _ = Notes;
}
