#[protected(
    scopes = any("read:data", "admin"),
    owner(field = "created_by", claim = "sub", fetch = get_comment)
)]
async fn update_comment(
    State(db): State<Db>,
    Owned(comment): Owned<Comment>,
    Json(body): Json<CommentUpdate>,
) -> impl IntoResponse {
    db.update(comment, body).await
}
