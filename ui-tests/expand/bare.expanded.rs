#[doc(hidden)]
/// The `#[protected]` policy of `handler`.
#[allow(non_camel_case_types)]
struct __axioms_policy_handler;
#[automatically_derived]
impl<S> ::axioms::__private::Policy<S> for __axioms_policy_handler
where
    S: ::core::marker::Send + ::core::marker::Sync,
{
    const RULE: ::axioms::__private::Rule = ::axioms::__private::Rule::Authenticated;
}
async fn handler(
    __axioms_guard: ::axioms::__private::Guard<__axioms_policy_handler>,
) -> &'static str {
    "ok"
}
