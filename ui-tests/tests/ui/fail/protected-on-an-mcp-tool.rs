// `#[protected]` on an rmcp tool method, without `#[axioms::mcp::policies]` on the impl. (The
// rmcp types are stood in for: the error is the same with rmcp's.)
use axioms::protected;

struct CallToolResult;
struct ErrorData;
struct Notes;

impl Notes {
    #[protected(scopes = "notes:read")]
    async fn list_notes(&self) -> Result<CallToolResult, ErrorData> {
        Ok(CallToolResult)
    }
}

fn main() {}
