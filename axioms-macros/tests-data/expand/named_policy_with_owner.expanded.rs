/// Authors, or moderators.
pub(crate) struct AuthorOrModerator;
#[automatically_derived]
impl<__S> ::axioms::__private::Policy<__S> for AuthorOrModerator
where
    __S: ::core::marker::Send + ::core::marker::Sync,
    Db: ::axioms::__private::FromRef<__S>,
{
    const NAME: &'static str = "AuthorOrModerator";
    const RULE: ::axioms::__private::Rule = ::axioms::__private::Rule::AllOf(
        &[
            ::axioms::__private::Rule::AnyOf(
                &[
                    ::axioms::__private::Rule::Owner,
                    ::axioms::__private::Rule::Roles(
                        ::axioms::__private::Mode::Any,
                        &["moderator"],
                    ),
                ],
            ),
        ],
    );
    fn check_owner(
        parts: &mut ::axioms::__private::Parts,
        state: &__S,
        claims: &::axioms::__private::Claims,
    ) -> impl ::core::future::Future<
        Output = ::core::result::Result<bool, ::axioms::__private::Response>,
    > + ::core::marker::Send {
        ::axioms::__private::check_owner::<
            Db,
            __S,
            _,
            _,
            _,
        >(
            db::get_post,
            |object| -> &dyn ::axioms::policy::OwnerValue { &object.0 },
            "email",
            parts,
            state,
            claims,
        )
    }
}
::axioms::__private::inventory::submit! {
    ::axioms::__private::Registered::named("AuthorOrModerator", & < AuthorOrModerator as
    ::axioms::__private::Policy < Db >> ::RULE, < AuthorOrModerator as
    ::axioms::__private::Policy < Db >> ::SAFE_METHODS)
}
#[automatically_derived]
impl ::axioms::__private::FetchesObject for AuthorOrModerator {}
::axioms::__private::inventory::submit! {
    ::axioms::__private::Registered::uses("edit", "AuthorOrModerator")
}
const _: fn() = ::axioms::__private::policy_fetches::<AuthorOrModerator>;
async fn edit(
    __axioms_guard: ::axioms::__private::Guard<AuthorOrModerator>,
    Owned(post): Owned<Post>,
) -> StatusCode {
    post.edit()
}
