//! One MCP server over several MCP adapters that share a listener.
//!
//! [`UnionServer`] lists the tools, resources and prompts of every member adapter. A tool
//! name that more than one member declares is qualified as `{namespace}.{tool}`, and a call
//! to it goes to that member under its original name. Every request is handed to a member's
//! own [`McpServer`], so a tool behaves as it does when its adapter is served alone. Like
//! the single-adapter server, the union keeps no per-session state.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, ErrorCode, GetPromptRequestParams, GetPromptResponse,
    Implementation, ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult,
    ListToolsResult, PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse,
    ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};

use crate::caller_auth;
use crate::descriptor::McpAdapter;
use crate::invoke::CapabilityContext;
use crate::mcp::{self, AllowedHosts, McpServer};

/// The server name a union sends as `serverInfo.name`.
const UNION_SERVER_NAME: &str = "naftiko-rs";

/// Builds the router of MCP adapters that share one listener: each adapter alone at
/// `/mcp/{namespace}` with its own tool names, and their union at `/mcp` and at `/`.
///
/// Each adapter's path requires that adapter's caller authentication. The union requires the
/// authentication of every member that declares one, in member order.
pub(crate) fn router(
    members: &[(&'static McpAdapter, Arc<CapabilityContext>)],
    allowed_hosts: &AllowedHosts,
) -> axum::Router {
    let mut router = axum::Router::new();
    let mut servers = Vec::with_capacity(members.len());
    for (adapter, context) in members {
        let server = McpServer::new(adapter, Arc::clone(context));
        servers.push(server.clone());
        let service = mcp::streamable_service(server, allowed_hosts.clone());
        let member =
            axum::Router::new().route_service(&format!("/mcp/{}", adapter.namespace), service);
        let member = match &adapter.auth {
            Some(auth) => caller_auth::protect(member, adapter.namespace, auth, context.binds()),
            None => member,
        };
        router = router.merge(member);
    }
    let service = mcp::streamable_service(UnionServer::new(servers), allowed_hosts.clone());
    let mut union = axum::Router::new()
        .route_service("/mcp", service.clone())
        .route_service("/", service);
    // NOTE: members whose credentials differ in the same header cannot both be satisfied,
    // so such a union rejects every caller; each adapter's own path still works.
    for (adapter, context) in members {
        if let Some(auth) = &adapter.auth {
            union = caller_auth::protect(union, adapter.namespace, auth, context.binds());
        }
    }
    router.merge(union)
}

/// An rmcp server handler that serves the union of several MCP adapters.
#[derive(Clone)]
pub(crate) struct UnionServer {
    state: Arc<UnionState>,
}

struct UnionState {
    members: Vec<McpServer>,
    /// The `tools/list` entries of every member in member order, clashing names qualified.
    tools: Vec<Tool>,
    /// The member index and original tool name, by the name the union lists.
    routes: HashMap<String, (usize, String)>,
    info: ServerConfig,
}

impl UnionServer {
    /// Builds the union of `members`, in the order given.
    pub(crate) fn new(members: Vec<McpServer>) -> Self {
        let tools = qualified_tools(&members);
        let mut routes = HashMap::new();
        let mut listed = Vec::new();
        for (index, name, tool) in tools {
            let original = tool.name.to_string();
            if routes.contains_key(&name) {
                // Only a declared name such as `a.b` that equals a qualified one gets here.
                tracing::warn!(
                    tool = name,
                    "mcp union: tool name listed twice, keeping the first"
                );
                continue;
            }
            let mut tool = tool;
            tool.name = name.clone().into();
            routes.insert(name, (index, original));
            listed.push(tool);
        }
        let info = union_info(&members);
        Self {
            state: Arc::new(UnionState {
                members,
                tools: listed,
                routes,
                info,
            }),
        }
    }
}

/// Returns `(member index, listed name, tool)` for every tool of every member. A name that
/// more than one member declares is listed as `{namespace}.{tool}`.
fn qualified_tools(members: &[McpServer]) -> Vec<(usize, String, Tool)> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for member in members {
        for tool in member.tools() {
            *counts.entry(tool.name.as_ref()).or_default() += 1;
        }
    }
    let mut tools = Vec::new();
    for (index, member) in members.iter().enumerate() {
        for tool in member.tools() {
            let name = if counts.get(tool.name.as_ref()).copied().unwrap_or(0) > 1 {
                format!("{}.{}", member.adapter().namespace, tool.name)
            } else {
                tool.name.to_string()
            };
            tools.push((index, name, tool.clone()));
        }
    }
    tools
}

/// Builds the `initialize` result: the capabilities any member has, and every member's
/// description under its namespace as the instructions.
fn union_info(members: &[McpServer]) -> ServerConfig {
    let mut capabilities = ServerCapabilities::default();
    let mut instructions = Vec::new();
    for member in members {
        let adapter = member.adapter();
        let member_capabilities = mcp::capabilities(adapter);
        capabilities.tools = capabilities.tools.or(member_capabilities.tools);
        capabilities.resources = capabilities.resources.or(member_capabilities.resources);
        capabilities.prompts = capabilities.prompts.or(member_capabilities.prompts);
        if let Some(description) = adapter.description {
            instructions.push(format!("{}: {description}", adapter.namespace));
        }
    }
    let info = ServerConfig::new(capabilities).with_server_info(Implementation::new(
        UNION_SERVER_NAME,
        env!("CARGO_PKG_VERSION"),
    ));
    if instructions.is_empty() {
        info
    } else {
        info.with_instructions(instructions.join("\n\n"))
    }
}

impl ServerHandler for UnionServer {
    fn get_info(&self) -> ServerConfig {
        self.state.info.clone()
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.state.tools.clone()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.state
            .tools
            .iter()
            .find(|tool| tool.name == name)
            .cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let Some((index, original)) = self.state.routes.get(request.name.as_ref()) else {
            tracing::info!(tool = ?request.name, "mcp union tool call rejected: unknown tool");
            return Err(ErrorData::invalid_params(
                format!("unknown tool `{}`", request.name),
                None,
            ));
        };
        let Some(member) = self.state.members.get(*index) else {
            return Err(ErrorData::internal_error(
                "tool route without a member",
                None,
            ));
        };
        let mut request = request;
        request.name = original.clone().into();
        member.call_tool(request, context).await
    }

    async fn list_resources(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let mut resources = Vec::new();
        for member in &self.state.members {
            let listed = member
                .list_resources(request.clone(), context.clone())
                .await?;
            resources.extend(listed.resources);
        }
        Ok(ListResourcesResult::with_all_items(resources))
    }

    async fn list_resource_templates(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        let mut templates = Vec::new();
        for member in &self.state.members {
            let listed = member
                .list_resource_templates(request.clone(), context.clone())
                .await?;
            templates.extend(listed.resource_templates);
        }
        Ok(ListResourceTemplatesResult::with_all_items(templates))
    }

    /// Reads the resource from the first member that has it.
    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let mut not_found = None;
        for member in &self.state.members {
            match member.read_resource(request.clone(), context.clone()).await {
                Err(error) if error.code == ErrorCode::RESOURCE_NOT_FOUND => {
                    not_found.get_or_insert(error);
                }
                result => return result,
            }
        }
        Err(not_found.unwrap_or_else(|| {
            ErrorData::resource_not_found(format!("unknown resource `{}`", request.uri), None)
        }))
    }

    async fn list_prompts(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        let mut prompts = Vec::new();
        for member in &self.state.members {
            let listed = member
                .list_prompts(request.clone(), context.clone())
                .await?;
            prompts.extend(listed.prompts);
        }
        Ok(ListPromptsResult::with_all_items(prompts))
    }

    /// Gets the prompt from the first member that declares its name.
    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let member = self.state.members.iter().find(|member| {
            member
                .adapter()
                .prompts
                .iter()
                .any(|prompt| prompt.name == request.name)
        });
        match member {
            Some(member) => member.get_prompt(request, context).await,
            None => Err(ErrorData::invalid_params(
                format!("unknown prompt `{}`", request.name),
                None,
            )),
        }
    }
}
