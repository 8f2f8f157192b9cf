policy!(
    /// Authors, or moderators.
    pub(crate) AuthorOrModerator: any_of(
        owner(fetch = db::get_post, field = "0", claim = "email"),
        roles = "moderator",
    ),
    state = Db
);

#[protected(policy = AuthorOrModerator)]
async fn edit(Owned(post): Owned<Post>) -> StatusCode {
    post.edit()
}
