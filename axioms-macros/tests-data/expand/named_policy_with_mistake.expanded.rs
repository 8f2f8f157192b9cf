::core::compile_error! {
    "unknown key `role`; did you mean `roles`?"
}
/// The named policy `AdminOnly`: `any_of()`.
pub struct AdminOnly;
#[automatically_derived]
impl<__S> ::axioms::__private::Policy<__S> for AdminOnly {
    const NAME: &'static str = "AdminOnly";
    const RULE: ::axioms::__private::Rule = ::axioms::__private::Rule::AnyOf(&[]);
}
::axioms::__private::inventory::submit! {
    ::axioms::__private::Registered::named("AdminOnly", & < AdminOnly as
    ::axioms::__private::Policy < () >> ::RULE, < AdminOnly as
    ::axioms::__private::Policy < () >> ::SAFE_METHODS)
}
#[automatically_derived]
impl ::axioms::__private::LayerPolicy for AdminOnly {}
#[automatically_derived]
impl ::axioms::__private::FetchesObject for AdminOnly {}
