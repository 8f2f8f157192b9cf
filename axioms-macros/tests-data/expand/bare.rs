#[protected]
async fn handler() -> &'static str {
    "ok"
}
