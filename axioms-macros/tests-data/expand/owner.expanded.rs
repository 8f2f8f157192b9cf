#[doc(hidden)]
#[allow(non_camel_case_types)]
struct __axioms_policy_update_comment;
#[automatically_derived]
impl<__S> ::axioms::__private::Policy<__S> for __axioms_policy_update_comment
where
    __S: ::core::marker::Send + ::core::marker::Sync,
    Db: ::axioms::__private::FromRef<__S>,
{
    const NAME: &'static str = "update_comment";
    const RULE: ::axioms::__private::Rule = ::axioms::__private::Rule::AllOf(
        &[
            ::axioms::__private::Rule::Scopes(
                ::axioms::__private::Mode::Any,
                &["read:data", "admin"],
            ),
            ::axioms::__private::Rule::Owner,
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
            get_comment,
            |object| -> &dyn ::axioms::policy::OwnerValue { &object.created_by },
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
            Comment,
            _,
        >(::axioms::__private::object_of::<Db, _, _>(get_comment));
    }
};
::axioms::__private::inventory::submit! {
    ::axioms::__private::Registered::handler("update_comment", & <
    __axioms_policy_update_comment as ::axioms::__private::Policy < Db >> ::RULE, <
    __axioms_policy_update_comment as ::axioms::__private::Policy < Db >> ::SAFE_METHODS)
}
async fn update_comment(
    __axioms_guard: ::axioms::__private::Guard<__axioms_policy_update_comment>,
    State(db): State<Db>,
    Owned(comment): Owned<Comment>,
    Json(body): Json<CommentUpdate>,
) -> impl IntoResponse {
    db.update(comment, body).await
}
