#[doc(hidden)]
#[allow(non_camel_case_types)]
struct __axioms_policy_delete_article;
#[automatically_derived]
impl<__S> ::axioms::__private::Policy<__S> for __axioms_policy_delete_article
where
    __S: ::core::marker::Send + ::core::marker::Sync,
    AppState: ::axioms::__private::FromRef<__S>,
{
    const NAME: &'static str = "delete_article";
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
    const MISMATCH: ::axioms::__private::Mismatch = ::axioms::__private::Mismatch::NotFound;
    fn check_owner(
        parts: &mut ::axioms::__private::Parts,
        state: &__S,
        claims: &::axioms::__private::Claims,
    ) -> impl ::core::future::Future<
        Output = ::core::result::Result<bool, ::axioms::__private::Response>,
    > + ::core::marker::Send {
        ::axioms::__private::check_owner::<
            AppState,
            __S,
            _,
            _,
            _,
        >(
            get_article,
            |object| -> &dyn ::axioms::policy::OwnerValue { &object.user },
            "sub",
            parts,
            state,
            claims,
        )
    }
}
const _: () = {
    #[allow(dead_code)]
    fn __axioms_owned_is_fetched() {
        ::axioms::__private::is_fetched::<
            Article,
            _,
        >(::axioms::__private::object_of::<AppState, _, _>(get_article));
    }
};
::axioms::__private::inventory::submit! {
    ::axioms::__private::Registered::handler("delete_article", & <
    __axioms_policy_delete_article as ::axioms::__private::Policy < AppState >> ::RULE, <
    __axioms_policy_delete_article as ::axioms::__private::Policy < AppState >>
    ::SAFE_METHODS)
}
async fn delete_article(
    __axioms_guard: ::axioms::__private::Guard<__axioms_policy_delete_article>,
    Owned(article): Owned<Article>,
) -> StatusCode {
    article.delete();
    StatusCode::NO_CONTENT
}
