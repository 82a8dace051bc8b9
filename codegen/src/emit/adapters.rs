//! Emitting skill and control adapters, MCP resources and prompts, and tool output
//! schemas.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use super::*;

pub(super) fn skill_module(adapter: &SkillAdapter, module: &str) -> TokenStream {
    let module = format_ident!("{module}");
    let namespace = &adapter.namespace;
    let address = option_str(adapter.address.as_deref());
    let port = Literal::u16_unsuffixed(adapter.port);
    let description = option_str(adapter.description.as_deref());
    let auth = caller_auth(adapter.auth.as_ref());
    let skills = adapter.skills.iter().map(|skill| {
        let name = &skill.name;
        let skill_description = skill.description.as_deref().unwrap_or_default();
        let allowed_tools = option_str(skill.allowed_tools.as_deref());
        let argument_hint = option_str(skill.argument_hint.as_deref());
        let tools = skill.tools.iter().map(|tool| {
            let name = &tool.name;
            let description = tool.description.as_deref().unwrap_or_default();
            let source = match &tool.source {
                SkillToolSource::Action(namespace, action) => {
                    quote!(rt::SkillToolSource::Action { namespace: #namespace, action: #action })
                }
                SkillToolSource::Instruction(file) => {
                    quote!(rt::SkillToolSource::Instruction { file: #file })
                }
            };
            quote!(rt::SkillTool { name: #name, description: #description, source: #source })
        });
        let files = skill.files.iter().map(|(path, contents)| {
            let contents = Literal::byte_string(contents);
            quote!(rt::SkillFile { path: #path, contents: #contents })
        });
        quote! {
            rt::Skill {
                name: #name,
                description: #skill_description,
                allowed_tools: #allowed_tools,
                argument_hint: #argument_hint,
                tools: &[#(#tools),*],
                files: &[#(#files),*],
            }
        }
    });
    let items = quote! {
        /// The adapter's description: its skills, their tools and files.
        pub static ADAPTER: rt::SkillAdapter = rt::SkillAdapter {
            namespace: #namespace,
            address: #address,
            port: #port,
            description: #description,
            auth: #auth,
            skills: &[#(#skills),*],
        };
    };
    let heading = format!("Skill adapter `{namespace}`, on port {}.", adapter.port);
    adapter_module(module, &heading, None, items)
}

pub(super) fn control_module(adapter: &ControlAdapter, module: &str) -> TokenStream {
    let module = format_ident!("{module}");
    let namespace = &adapter.namespace;
    let address = option_str(adapter.address.as_deref());
    let port = Literal::u16_unsuffixed(adapter.port);
    let auth = caller_auth(adapter.auth.as_ref());
    let (health, info, metrics) = (adapter.health, adapter.info, adapter.metrics);
    let items = quote! {
        /// The adapter's description: which endpoints it serves.
        pub static ADAPTER: rt::ControlAdapter = rt::ControlAdapter {
            namespace: #namespace,
            address: #address,
            port: #port,
            auth: #auth,
            health: #health,
            info: #info,
            metrics: #metrics,
        };
    };
    let heading = format!("Control adapter `{namespace}`, on port {}.", adapter.port);
    adapter_module(module, &heading, None, items)
}

pub(super) fn mcp_resource(
    resource: &McpResource,
    capability: &Capability,
    api_modules: &[String],
) -> TokenStream {
    let name = &resource.name;
    let title = option_str(resource.title.as_deref());
    let description = option_str(resource.description.as_deref());
    let uri = &resource.uri;
    let mime_type = option_str(resource.mime_type.as_deref());
    let source = match &resource.source {
        ResourceSource::Static(contents) => {
            let contents = Literal::byte_string(contents);
            quote!(rt::ResourceSource::Static { contents: #contents })
        }
        ResourceSource::Dynamic {
            inputs: resource_inputs,
            call: resource_call,
            steps,
            output: resource_output,
        } => {
            let inputs = inputs(resource_inputs);
            let call = call(resource_call.as_ref(), capability, api_modules);
            let steps = orchestration(steps.as_ref(), capability, api_modules);
            let output = output(resource_output);
            quote! {
                rt::ResourceSource::Dynamic {
                    inputs: &[#(#inputs),*],
                    call: #call,
                    steps: #steps,
                    output: #output,
                }
            }
        }
    };
    quote! {
        rt::McpResource {
            name: #name,
            title: #title,
            description: #description,
            uri: #uri,
            mime_type: #mime_type,
            source: #source,
        }
    }
}

pub(super) fn mcp_prompt(prompt: &McpPrompt) -> TokenStream {
    let name = &prompt.name;
    let title = option_str(prompt.title.as_deref());
    let description = option_str(prompt.description.as_deref());
    let arguments = prompt.arguments.iter().map(|(name, description, required)| {
        let description = option_str(description.as_deref());
        quote!(rt::PromptArgument { name: #name, description: #description, required: #required })
    });
    let messages = prompt.messages.iter().map(|(user, parts)| {
        let role = if *user {
            quote!(rt::PromptRole::User)
        } else {
            quote!(rt::PromptRole::Assistant)
        };
        let text = template(parts);
        quote!(rt::PromptMessage { role: #role, text: #text })
    });
    quote! {
        rt::McpPrompt {
            name: #name,
            title: #title,
            description: #description,
            arguments: &[#(#arguments),*],
            messages: &[#(#messages),*],
        }
    }
}

/// Returns the JSON Schema of a tool's result when the spec declares an object with
/// typed fields, for MCP's `outputSchema`.
pub(super) fn output_schema(output: &Output) -> Option<String> {
    let schema = match output {
        Output::Named(properties) => object_schema(properties),
        Output::Shape(OutputShape::Object { properties, .. }) => object_schema(properties),
        _ => return None,
    };
    Some(schema.to_string())
}

fn object_schema(properties: &[(String, OutputShape)]) -> serde_json::Value {
    let properties: serde_json::Map<String, serde_json::Value> = properties
        .iter()
        .map(|(name, shape)| (name.clone(), shape_schema(shape)))
        .collect();
    serde_json::json!({ "type": "object", "properties": properties })
}

fn shape_schema(shape: &OutputShape) -> serde_json::Value {
    match shape {
        OutputShape::Value {
            json_type: Some(json_type),
            ..
        } => serde_json::json!({ "type": json_type_name(*json_type) }),
        OutputShape::Object { properties, .. } => object_schema(properties),
        OutputShape::Array { items, .. } => {
            serde_json::json!({ "type": "array", "items": shape_schema(items) })
        }
        OutputShape::Template(_) => serde_json::json!({ "type": "string" }),
        OutputShape::Value {
            json_type: None, ..
        }
        | OutputShape::Constant(_) => {
            serde_json::json!({})
        }
    }
}

fn json_type_name(json_type: JsonType) -> &'static str {
    match json_type {
        JsonType::String => "string",
        JsonType::Number => "number",
        JsonType::Integer => "integer",
        JsonType::Boolean => "boolean",
        JsonType::Object => "object",
        JsonType::Array => "array",
    }
}
