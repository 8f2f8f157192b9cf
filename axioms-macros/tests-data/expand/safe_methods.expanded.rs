#[doc(hidden)]
#[allow(non_camel_case_types)]
struct __axioms_policy_public_data;
#[automatically_derived]
impl<__S> ::axioms::__private::Policy<__S> for __axioms_policy_public_data {
    const NAME: &'static str = "public_data";
    const RULE: ::axioms::__private::Rule = ::axioms::__private::Rule::AllOf(
        &[
            ::axioms::__private::Rule::Permissions(
                ::axioms::__private::Mode::Any,
                &["data:write"],
            ),
        ],
    );
    const SAFE_METHODS: ::core::option::Option<::axioms::__private::SafeMethods> = ::core::option::Option::Some(
        ::axioms::__private::SafeMethods::GET
            .union(::axioms::__private::SafeMethods::OPTIONS),
    );
}
::axioms::__private::inventory::submit! {
    ::axioms::__private::Registered::handler("public_data", & <
    __axioms_policy_public_data as ::axioms::__private::Policy < () >> ::RULE, <
    __axioms_policy_public_data as ::axioms::__private::Policy < () >> ::SAFE_METHODS)
}
async fn public_data(
    __axioms_guard: ::axioms::__private::Guard<__axioms_policy_public_data>,
    claims: Option<Claims>,
) -> String {
    greeting(claims)
}
