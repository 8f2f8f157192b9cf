/// The named policy `AdminOnly`: `roles = any("admin", "superuser")`.
pub struct AdminOnly;
#[automatically_derived]
impl<__S> ::axioms::__private::Policy<__S> for AdminOnly {
    const NAME: &'static str = "AdminOnly";
    const RULE: ::axioms::__private::Rule = ::axioms::__private::Rule::AllOf(
        &[
            ::axioms::__private::Rule::Roles(
                ::axioms::__private::Mode::Any,
                &["admin", "superuser"],
            ),
        ],
    );
}
::axioms::__private::inventory::submit! {
    ::axioms::__private::Registered::named("AdminOnly", & < AdminOnly as
    ::axioms::__private::Policy < () >> ::RULE, < AdminOnly as
    ::axioms::__private::Policy < () >> ::SAFE_METHODS)
}
#[automatically_derived]
impl ::axioms::__private::LayerPolicy for AdminOnly {}
::axioms::__private::inventory::submit! {
    ::axioms::__private::Registered::uses("list_users", "AdminOnly")
}
async fn list_users(
    __axioms_guard: ::axioms::__private::Guard<AdminOnly>,
) -> Json<Vec<User>> {
    Json(users())
}
