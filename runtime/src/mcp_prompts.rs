//! Prompts of MCP adapters: `prompts/list` and `prompts/get`.

use crate::descriptor::{Input, JsonType, McpPrompt, ParamLocation, PromptRole};
use crate::invoke::check_input;
use crate::secret::BindValues;
use crate::template::TemplateScope;
use rmcp::ErrorData;
use rmcp::model::{
    GetPromptResult, JsonObject, Prompt, PromptArgument as ArgumentEntry,
    PromptMessage as MessageEntry, Role,
};

/// Builds the `prompts/list` entry of a prompt.
pub(crate) fn prompt_entry(prompt: &McpPrompt) -> Prompt {
    let arguments = prompt
        .arguments
        .iter()
        .map(|argument| {
            let mut entry = ArgumentEntry::new(argument.name).with_required(argument.required);
            if let Some(description) = argument.description {
                entry = entry.with_description(description);
            }
            entry
        })
        .collect::<Vec<_>>();
    let arguments = (!arguments.is_empty()).then_some(arguments);
    let mut entry = Prompt::from_raw(prompt.name, prompt.description, arguments);
    if let Some(title) = prompt.title {
        entry = entry.with_title(title);
    }
    entry
}

/// Serves one `prompts/get`: checks the arguments and renders the messages.
///
/// An unknown prompt, a missing required argument or an argument that is not a string is
/// a JSON-RPC invalid params error that names it. Arguments the prompt does not declare
/// are ignored.
pub(crate) fn get(
    prompts: &'static [McpPrompt],
    binds: &BindValues,
    adapter: &'static str,
    name: &str,
    arguments: Option<&JsonObject>,
) -> Result<GetPromptResult, ErrorData> {
    let Some(prompt) = prompts.iter().find(|prompt| prompt.name == name) else {
        tracing::info!(adapter, prompt = ?name, "mcp prompt get rejected: unknown prompt");
        return Err(ErrorData::invalid_params(
            format!("unknown prompt `{name}`"),
            None,
        ));
    };
    let result = render(prompt, binds, arguments);
    tracing::info!(
        adapter,
        prompt = prompt.name,
        is_error = result.is_err(),
        "mcp prompt get finished"
    );
    result
}

fn render(
    prompt: &'static McpPrompt,
    binds: &BindValues,
    arguments: Option<&JsonObject>,
) -> Result<GetPromptResult, ErrorData> {
    let mut values = Vec::with_capacity(prompt.arguments.len());
    for argument in prompt.arguments {
        let input = Input {
            name: argument.name,
            location: ParamLocation::TemplateOnly,
            json_type: JsonType::String,
            required: argument.required,
            description: None,
        };
        let value = arguments.and_then(|arguments| arguments.get(argument.name).cloned());
        let value = check_input(&input, value).map_err(|error| {
            let message = if error.reason == "missing" {
                format!(
                    "missing required argument `{}` of prompt `{}`",
                    error.name, prompt.name
                )
            } else {
                format!(
                    "invalid argument `{}` of prompt `{}`: {}",
                    error.name, prompt.name, error.reason
                )
            };
            ErrorData::invalid_params(message, None)
        })?;
        values.push(value);
    }

    let scope = TemplateScope::exposed(binds, &values);
    let mut messages = Vec::with_capacity(prompt.messages.len());
    for message in prompt.messages {
        let text = scope.render(message.text).map_err(|reason| {
            let message = format!("failed to render prompt `{}`: {reason}", prompt.name);
            ErrorData::internal_error(message, None)
        })?;
        let role = match message.role {
            PromptRole::User => Role::User,
            PromptRole::Assistant => Role::Assistant,
        };
        messages.push(MessageEntry::new_text(role, text));
    }
    let mut result = GetPromptResult::new(messages);
    if let Some(description) = prompt.description {
        result = result.with_description(description);
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::descriptor::{PromptArgument, PromptMessage, TemplatePart};
    use serde_json::{Value, json};

    static PROMPTS: &[McpPrompt] = &[McpPrompt {
        name: "greet",
        title: Some("Greet"),
        description: Some("Greets someone"),
        arguments: &[
            PromptArgument {
                name: "who",
                description: Some("The name"),
                required: true,
            },
            PromptArgument {
                name: "tone",
                description: None,
                required: false,
            },
        ],
        messages: &[PromptMessage {
            role: PromptRole::User,
            text: &[
                TemplatePart::Literal("Greet "),
                TemplatePart::Input(0),
                TemplatePart::Literal(" ("),
                TemplatePart::Input(1),
                TemplatePart::Literal(")"),
            ],
        }],
    }];

    fn arguments(value: Value) -> JsonObject {
        match value {
            Value::Object(map) => map,
            _ => JsonObject::new(),
        }
    }

    #[test]
    fn absent_optional_renders_empty() {
        let binds = BindValues::from_values(Vec::new());
        let supplied = arguments(json!({"who": "Ada", "tone": null}));
        let result = get(PROMPTS, &binds, "test", "greet", Some(&supplied)).expect("renders");
        let text = &result.messages[0].content.as_text().expect("text").text;
        assert_eq!(text, "Greet Ada ()");
    }

    #[test]
    fn non_string_argument_is_rejected() {
        let binds = BindValues::from_values(Vec::new());
        let supplied = arguments(json!({"who": 7}));
        let error = get(PROMPTS, &binds, "test", "greet", Some(&supplied)).expect_err("rejected");
        assert!(error.message.contains("`who`"), "{}", error.message);
        assert!(
            error.message.contains("expected string"),
            "{}",
            error.message
        );
    }
}
