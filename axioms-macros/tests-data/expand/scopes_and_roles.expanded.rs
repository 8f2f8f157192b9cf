#[doc(hidden)]
#[allow(non_camel_case_types)]
pub struct __axioms_policy_read_data;
#[automatically_derived]
impl<__S> ::axioms::__private::Policy<__S> for __axioms_policy_read_data {
    const NAME: &'static str = "read_data";
    const RULE: ::axioms::__private::Rule = ::axioms::__private::Rule::AllOf(
        &[
            ::axioms::__private::Rule::Scopes(
                ::axioms::__private::Mode::Any,
                &["read:data", "admin"],
            ),
            ::axioms::__private::Rule::Roles(
                ::axioms::__private::Mode::All,
                &["admin", "superuser"],
            ),
        ],
    );
}
::axioms::__private::inventory::submit! {
    ::axioms::__private::Registered::handler("read_data", & < __axioms_policy_read_data
    as ::axioms::__private::Policy < () >> ::RULE, < __axioms_policy_read_data as
    ::axioms::__private::Policy < () >> ::SAFE_METHODS)
}
/// Reads data.
pub async fn read_data(
    __axioms_guard: ::axioms::__private::Guard<__axioms_policy_read_data>,
    State(state): State<AppState>,
) -> impl IntoResponse {
    state.data()
}
