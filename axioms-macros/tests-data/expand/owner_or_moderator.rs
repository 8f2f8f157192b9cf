#[protected(
    any_of(owner(fetch = get_article, mismatch = 404), roles = any("admin", "moderator")),
    state = AppState
)]
async fn delete_article(Owned(article): Owned<Article>) -> StatusCode {
    article.delete();
    StatusCode::NO_CONTENT
}
