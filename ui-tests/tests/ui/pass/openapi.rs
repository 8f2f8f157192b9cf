// `#[protected]` stacked with utoipa's OpenAPI attribute, in both orders.
use axioms::{Axioms, protected};
use axum::{Json, Router, extract::Path, routing::get};
use utoipa::OpenApi;

/// Reads one item.
#[utoipa::path(get, path = "/items/{id}", params(("id" = u32, Path, description = "item id")), responses((status = 200, description = "the item")))]
#[protected(scopes = any("items:read", "admin"))]
async fn read_item(Path(id): Path<u32>) -> Json<u32> {
    Json(id)
}

/// Deletes one item.
#[protected(roles = "admin")]
#[utoipa::path(delete, path = "/items/{id}", params(("id" = u32, Path, description = "item id")), responses((status = 204, description = "deleted")))]
async fn delete_item(Path(id): Path<u32>) -> Json<u32> {
    Json(id)
}

#[derive(OpenApi)]
#[openapi(paths(read_item, delete_item))]
struct ApiDoc;

fn main() {
    let _router: Router<Axioms> = Router::new().route("/items/{id}", get(read_item).delete(delete_item));
    let spec = ApiDoc::openapi();
    let item = &spec.paths.paths["/items/{id}"];
    // The hidden guard argument never shows up as an API parameter, in either order.
    for op in [item.get.as_ref().unwrap(), item.delete.as_ref().unwrap()] {
        assert_eq!(op.parameters.as_ref().map_or(0, Vec::len), 1);
    }
}
