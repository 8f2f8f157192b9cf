/// Reads data.
#[protected(scopes = any("read:data", "admin"), roles = all("admin", "superuser"))]
pub async fn read_data(State(state): State<AppState>) -> impl IntoResponse {
    state.data()
}
