/// The named policy `AdminOnly`: `roles = any ("admin" , "superuser")`.
#[allow(non_camel_case_types)]
pub struct AdminOnly;
#[automatically_derived]
impl<S> ::axioms::__private::Policy<S> for AdminOnly
where
    S: ::core::marker::Send + ::core::marker::Sync,
{
    const RULE: ::axioms::__private::Rule = ::axioms::__private::Rule::AllOf(
        &[
            ::axioms::__private::Rule::Roles(
                ::axioms::__private::Mode::Any,
                &["admin", "superuser"],
            ),
        ],
    );
}
#[automatically_derived]
impl ::axioms::__private::LayerPolicy for AdminOnly {}
async fn list_users(
    __axioms_guard: ::axioms::__private::Guard<AdminOnly>,
) -> Json<Vec<User>> {
    Json(users())
}
