#[protected(safe_methods = ["GET", "HEAD", "OPTIONS"], permissions = "data:write")]
async fn public_data(claims: Option<Claims>) -> String {
    greeting(claims)
}
