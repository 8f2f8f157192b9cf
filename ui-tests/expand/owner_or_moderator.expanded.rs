#[doc(hidden)]
/// The `#[protected]` policy of `delete_article`.
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy)]
struct __axioms_policy_delete_article;
#[automatically_derived]
impl<S> ::axioms::__private::Policy<S> for __axioms_policy_delete_article
where
    S: ::core::marker::Send + ::core::marker::Sync,
    AppState: ::axioms::__private::FromRef<S>,
{
    const RULE: ::axioms::__private::Rule = ::axioms::__private::Rule::AllOf(
        &[
            ::axioms::__private::Rule::AnyOf(
                &[
                    ::axioms::__private::Rule::Owner,
                    ::axioms::__private::Rule::Roles(
                        ::axioms::__private::Mode::Any,
                        &["admin", "moderator"],
                    ),
                ],
            ),
        ],
    );
    const RECORD_CLAIMS: bool = false;
    const HAS_OWNER: bool = true;
    const HIDE_FORBIDDEN: bool = true;
    async fn check_owner(
        parts: &mut ::axioms::__private::Parts,
        state: &S,
        claims: &::axioms::__private::Claims,
    ) -> ::core::result::Result<bool, ::axioms::__private::Response> {
        let state = <AppState as ::axioms::__private::FromRef<S>>::from_ref(state);
        let object = ::axioms::__private::fetch::<
            _,
            _,
            AppState,
        >(get_article, parts, &state)
            .await?;
        let owns = ::axioms::__private::owns(&object.user, claims, "sub");
        ::axioms::__private::hand_over(parts, object);
        ::core::result::Result::Ok(owns)
    }
}
async fn delete_article(
    __axioms_guard: ::axioms::__private::Guard<__axioms_policy_delete_article>,
    Owned(article): Owned<Article>,
) -> StatusCode {
    article.delete();
    StatusCode::NO_CONTENT
}
