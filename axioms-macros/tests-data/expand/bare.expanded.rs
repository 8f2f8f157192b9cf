#[doc(hidden)]
#[allow(non_camel_case_types)]
struct __axioms_policy_handler;
#[automatically_derived]
impl<__S> ::axioms::__private::Policy<__S> for __axioms_policy_handler {
    const NAME: &'static str = "handler";
    const RULE: ::axioms::__private::Rule = ::axioms::__private::Rule::Authenticated;
}
::axioms::__private::inventory::submit! {
    ::axioms::__private::Registered::handler("handler", & < __axioms_policy_handler as
    ::axioms::__private::Policy < () >> ::RULE, < __axioms_policy_handler as
    ::axioms::__private::Policy < () >> ::SAFE_METHODS)
}
async fn handler(
    __axioms_guard: ::axioms::__private::Guard<__axioms_policy_handler>,
) -> &'static str {
    "ok"
}
