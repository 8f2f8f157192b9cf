// The policies of an rmcp server's tools, on each `#[tool]` method.
#[axioms::mcp::policies]
#[tool_router]
impl Notes {
    #[tool(description = "Who you are")]
    #[protected]
    async fn whoami(&self) -> Result<CallToolResult, ErrorData> {
        todo!()
    }

    #[tool(name = "notes", description = "Read or write notes")]
    #[protected(scopes = "notes:read")]
    #[protected(argument(mode = "write"), scopes = "notes:write")]
    async fn read_or_write(&self) -> Result<CallToolResult, ErrorData> {
        todo!()
    }

    #[tool(description = "Delete every note")]
    #[protected(policy = Admins)]
    async fn purge(&self) -> Result<CallToolResult, ErrorData> {
        todo!()
    }
}
