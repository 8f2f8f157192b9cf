#[doc(hidden)]
/// The `#[protected]` policy of `read_data`.
#[allow(non_camel_case_types)]
pub struct __axioms_policy_read_data;
#[automatically_derived]
impl<S> ::axioms::__private::Policy<S> for __axioms_policy_read_data
where
    S: ::core::marker::Send + ::core::marker::Sync,
{
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
/// Reads data.
pub async fn read_data(
    __axioms_guard: ::axioms::__private::Guard<__axioms_policy_read_data>,
    State(state): State<AppState>,
) -> impl IntoResponse {
    state.data()
}
