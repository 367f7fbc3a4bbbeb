//! `maestro-session mcp`: the MCP server over stdio (JSON-RPC 2.0, one message per line), on
//! the official Rust SDK (`rmcp`) and a current-thread tokio runtime. Glue only: the tools,
//! their schemas, results and errors are `maestro_session_core::tools::mcp`'s.
//!
//! A tool's result is one `text` content block holding its JSON; a failure is a result with
//! `isError: true` whose text is `{error, recovery_hint, code}` (Maestro 1.6's
//! `protocol-dispatcher.js` shapes). Tools run one at a time on the runtime's thread (they
//! take the state lock anyway); the server ends when the client closes stdin. Nothing but
//! JSON-RPC is written to stdout. Lines that are no JSON-RPC message get the error JSON-RPC
//! 2.0 prescribes ([`transport`]).

mod transport;

use std::path::PathBuf;
use std::sync::Arc;

use maestro_session_core::Env;
use maestro_session_core::tools::mcp::{self, Tools};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
    ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};

/// What the server tells the client about itself.
const INSTRUCTIONS: &str = "Maestro orchestration session state. Call get_session_status first; create_session starts a session from an approved plan, transition_phase completes a phase and starts the next, archive_session finishes. Phase ids are integers or strings.";

struct Server {
    tools: Tools,
    list: Arc<Vec<Tool>>,
}

impl Server {
    fn new(tools: Tools) -> Server {
        let list = mcp::definitions()
            .into_iter()
            .map(|d| {
                Tool::new(d.name, d.description, d.input_schema)
                    .annotate(ToolAnnotations::new().read_only(d.read_only))
            })
            .collect();
        Server {
            tools,
            list: Arc::new(list),
        }
    }
}

impl ServerHandler for Server {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new(
                "maestro-session",
                env!("CARGO_PKG_VERSION"),
            ))
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.list.as_ref().clone()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let result = match self.tools.call(&request.name, request.arguments) {
            Ok(value) => CallToolResult::success(vec![ContentBlock::text(value.to_string())]),
            Err(e) => CallToolResult::error(vec![ContentBlock::text(e.to_json())]),
        };
        Ok(result.into())
    }
}

/// Serves the tools on stdin/stdout until the client closes stdin.
pub fn run(state_dir: Option<PathBuf>) -> anyhow::Result<()> {
    let env = Env::process();
    let cwd = std::env::current_dir()?;
    let tools = match state_dir {
        Some(dir) => Tools::with_state_dir(env, &cwd, &dir)?,
        None => Tools::new(env, &cwd),
    };
    // rmcp bounds the handshake and requests with timers.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()?;
    let (stdio, threads) = transport::stdio();
    let served = runtime.block_on(async {
        let service = Server::new(tools)
            .serve(stdio)
            .await
            .map_err(|e| anyhow::anyhow!("MCP initialization failed: {e}"))?;
        service.waiting().await?;
        anyhow::Ok(())
    });
    // Every response handed to the writer reaches stdout before the process ends.
    threads.finish();
    served
}
