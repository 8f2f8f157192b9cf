#[doc(hidden)]
/// The `#[protected]` policy of `update_comment`.
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy)]
struct __axioms_policy_update_comment;
#[automatically_derived]
impl<S> ::axioms::__private::Policy<S> for __axioms_policy_update_comment
where
    S: ::core::marker::Send + ::core::marker::Sync,
    Db: ::axioms::__private::FromRef<S>,
{
    const RULE: ::axioms::__private::Rule = ::axioms::__private::Rule::AllOf(
        &[
            ::axioms::__private::Rule::Scopes(
                ::axioms::__private::Mode::Any,
                &["read:data", "admin"],
            ),
            ::axioms::__private::Rule::Owner,
        ],
    );
    const RECORD_CLAIMS: bool = false;
    const HAS_OWNER: bool = true;
    async fn check_owner(
        parts: &mut ::axioms::__private::Parts,
        state: &S,
        claims: &::axioms::__private::Claims,
    ) -> ::core::result::Result<bool, ::axioms::__private::Response> {
        let state = <Db as ::axioms::__private::FromRef<S>>::from_ref(state);
        let object = ::axioms::__private::fetch::<_, _, Db>(get_comment, parts, &state)
            .await?;
        let owns = ::axioms::__private::owns(&object.created_by, claims, "sub");
        ::axioms::__private::hand_over(parts, object);
        ::core::result::Result::Ok(owns)
    }
}
async fn update_comment(
    __axioms_guard: ::axioms::__private::Guard<__axioms_policy_update_comment>,
    State(db): State<Db>,
    Owned(comment): Owned<Comment>,
    Json(body): Json<CommentUpdate>,
) -> impl IntoResponse {
    db.update(comment, body).await
}
