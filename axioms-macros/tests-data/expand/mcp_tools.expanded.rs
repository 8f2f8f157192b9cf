#[tool_router]
impl Notes {
    #[tool(description = "Who you are")]
    async fn whoami(&self) -> Result<CallToolResult, ErrorData> {
        todo!()
    }
    #[tool(name = "notes", description = "Read or write notes")]
    async fn read_or_write(&self) -> Result<CallToolResult, ErrorData> {
        todo!()
    }
    #[tool(description = "Delete every note")]
    async fn purge(&self) -> Result<CallToolResult, ErrorData> {
        todo!()
    }
}
#[doc(hidden)]
#[allow(non_camel_case_types)]
struct __axioms_mcp_Notes__whoami;
#[automatically_derived]
impl<__S> ::axioms::__private::Policy<__S> for __axioms_mcp_Notes__whoami {
    const NAME: &'static str = "whoami";
    const RULE: ::axioms::__private::Rule = ::axioms::__private::Rule::Authenticated;
}
::axioms::__private::inventory::submit! {
    ::axioms::__private::Registered::named("whoami", & < __axioms_mcp_Notes__whoami as
    ::axioms::__private::Policy < () >> ::RULE, < __axioms_mcp_Notes__whoami as
    ::axioms::__private::Policy < () >> ::SAFE_METHODS)
}
#[automatically_derived]
impl ::axioms::__private::LayerPolicy for __axioms_mcp_Notes__whoami {}
#[doc(hidden)]
#[allow(non_camel_case_types)]
struct __axioms_mcp_Notes__read_or_write;
#[automatically_derived]
impl<__S> ::axioms::__private::Policy<__S> for __axioms_mcp_Notes__read_or_write {
    const NAME: &'static str = "read_or_write";
    const RULE: ::axioms::__private::Rule = ::axioms::__private::Rule::AllOf(
        &[
            ::axioms::__private::Rule::Scopes(
                ::axioms::__private::Mode::Any,
                &["notes:read"],
            ),
        ],
    );
}
::axioms::__private::inventory::submit! {
    ::axioms::__private::Registered::named("read_or_write", & <
    __axioms_mcp_Notes__read_or_write as ::axioms::__private::Policy < () >> ::RULE, <
    __axioms_mcp_Notes__read_or_write as ::axioms::__private::Policy < () >>
    ::SAFE_METHODS)
}
#[automatically_derived]
impl ::axioms::__private::LayerPolicy for __axioms_mcp_Notes__read_or_write {}
#[doc(hidden)]
#[allow(non_camel_case_types)]
struct __axioms_mcp_Notes__read_or_write_mode_1;
#[automatically_derived]
impl<__S> ::axioms::__private::Policy<__S> for __axioms_mcp_Notes__read_or_write_mode_1 {
    const NAME: &'static str = "read_or_write_mode_1";
    const RULE: ::axioms::__private::Rule = ::axioms::__private::Rule::AllOf(
        &[
            ::axioms::__private::Rule::Scopes(
                ::axioms::__private::Mode::Any,
                &["notes:write"],
            ),
        ],
    );
}
::axioms::__private::inventory::submit! {
    ::axioms::__private::Registered::named("read_or_write_mode_1", & <
    __axioms_mcp_Notes__read_or_write_mode_1 as ::axioms::__private::Policy < () >>
    ::RULE, < __axioms_mcp_Notes__read_or_write_mode_1 as ::axioms::__private::Policy <
    () >> ::SAFE_METHODS)
}
#[automatically_derived]
impl ::axioms::__private::LayerPolicy for __axioms_mcp_Notes__read_or_write_mode_1 {}
impl Notes {
    /// The MCP policies of `Notes`'s tools and prompts, as their `#[protected(…)]` say: give them to `McpLayer::new` (with `McpPolicies::and` to add others).
    #[must_use]
    pub fn mcp_policies() -> ::axioms::mcp::McpPolicies {
        ::axioms::mcp::McpPolicies::new()
            .tool::<__axioms_mcp_Notes__whoami>("whoami")
            .tool::<__axioms_mcp_Notes__read_or_write>("notes")
            .tool_argument::<
                __axioms_mcp_Notes__read_or_write_mode_1,
            >("notes", "mode", "write")
            .tool::<Admins>("purge")
    }
}
