//! OpenAPI 3.1 documents for REST adapters, built from the IR at build time.
//!
//! The document describes what the adapter serves: each route and method, its
//! parameters with their JSON types, its request body, its responses (the upstream's
//! status passes through, and the adapter's own errors have one JSON shape) and its
//! security scheme.

use serde_json::{Map, Value, json};

use crate::ir::*;

/// Returns the OpenAPI document of a REST adapter as compact JSON.
pub fn document(capability: &Capability, adapter: &RestAdapter) -> String {
    let mut paths = Map::new();
    let mut ids = crate::ident::Scope::default();
    for operation in &adapter.operations {
        // Operation names repeat across resources (two `get`s), and ids must not.
        let id = ids.unique(operation.name.clone());
        let item = paths
            .entry(operation.route.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(item) = item {
            item.insert(
                operation.method.as_str().to_ascii_lowercase(),
                operation_object(operation, id),
            );
        }
    }

    let title = capability
        .label
        .clone()
        .unwrap_or_else(|| capability.name.clone());
    let mut info = json!({ "title": title, "version": "1.0.0" });
    if let Some(description) = adapter
        .description
        .as_ref()
        .or(capability.description.as_ref())
    {
        info["description"] = json!(description);
    }
    let mut document = json!({
        "openapi": "3.1.0",
        "info": info,
        "paths": paths,
        "components": { "schemas": { "Error": error_schema() } },
    });
    if let Some((name, scheme)) = adapter.auth.as_ref().map(security_scheme) {
        document["components"]["securitySchemes"] = json!({ name: scheme });
        document["security"] = json!([{ name: [] }]);
    }
    document.to_string()
}

fn operation_object(operation: &RestOperation, id: String) -> Value {
    let mut parameters: Vec<Value> = Vec::new();
    let mut body_fields = Map::new();
    let mut required_fields = Vec::new();
    let mut whole_body = None;
    let placeholders = route_placeholders(&operation.route);
    for input in &operation.inputs {
        match input.location {
            // NOTE: the router reads path inputs only from route placeholders, so an input
            // that the route lacks can never be sent. OpenAPI requires every path
            // parameter to appear in the path, so such an input is left out.
            Location::Path if !placeholders.contains(&input.name.as_str()) => {}
            Location::Path | Location::Query | Location::Header | Location::Cookie => {
                let parameter = parameter_object(input);
                // A route that repeats a placeholder gives one input per occurrence, but
                // OpenAPI allows one parameter per name and location.
                let listed = parameters.iter().any(|other| {
                    other["name"] == parameter["name"] && other["in"] == parameter["in"]
                });
                if !listed {
                    parameters.push(parameter);
                }
            }
            Location::Body => whole_body = Some(input),
            Location::BodyField => {
                body_fields.insert(input.name.clone(), schema(input.json_type));
                if input.required {
                    required_fields.push(input.name.clone());
                }
            }
            Location::TemplateOnly => {}
        }
    }

    let mut object = json!({
        "operationId": id,
        "responses": responses(),
    });
    if let Some(description) = &operation.description {
        object["summary"] = json!(description);
    }
    if !parameters.is_empty() {
        object["parameters"] = json!(parameters);
    }
    if let Some(input) = whole_body {
        object["requestBody"] = json!({
            "required": input.required,
            "content": { "application/json": { "schema": schema(input.json_type) } },
        });
    } else if !body_fields.is_empty() {
        let mut body_schema = json!({ "type": "object", "properties": body_fields });
        if !required_fields.is_empty() {
            body_schema["required"] = json!(required_fields);
        }
        object["requestBody"] = json!({
            "required": !required_fields.is_empty(),
            "content": { "application/json": { "schema": body_schema } },
        });
    }
    object
}

/// Returns the parameter object of a path, query, header or cookie input.
fn parameter_object(input: &Input) -> Value {
    let location = match input.location {
        Location::Path => "path",
        Location::Query => "query",
        Location::Header => "header",
        _ => "cookie",
    };
    let mut parameter = json!({
        "name": input.name,
        "in": location,
        "required": input.required || input.location == Location::Path,
        "schema": schema(input.json_type),
    });
    if let Some(description) = &input.description {
        parameter["description"] = json!(description);
    }
    parameter
}

/// Returns the placeholder names of an axum route such as `/orgs/{org-name}/{*rest}`.
fn route_placeholders(route: &str) -> Vec<&str> {
    route
        .split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| name.trim_start_matches('*'))
        .collect()
}

fn responses() -> Value {
    let error = json!({
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
    });
    json!({
        "2XX": { "description": "The upstream's answer, shaped by the operation's outputs." },
        "400": { "description": "An input is missing or invalid.", "content": error["content"] },
        "502": { "description": "The upstream could not be reached or answered unusably.", "content": error["content"] },
        "504": { "description": "The upstream did not answer in time.", "content": error["content"] },
        "default": { "description": "The upstream's error status and body, passed through." },
    })
}

fn error_schema() -> Value {
    json!({
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": { "type": "string" },
                    "message": { "type": "string" },
                },
            },
        },
    })
}

fn schema(json_type: JsonType) -> Value {
    let name = match json_type {
        JsonType::String => "string",
        JsonType::Number => "number",
        JsonType::Integer => "integer",
        JsonType::Boolean => "boolean",
        JsonType::Object => "object",
        JsonType::Array => "array",
    };
    json!({ "type": name })
}

fn security_scheme(auth: &CallerAuth) -> (&'static str, Value) {
    match auth {
        CallerAuth::Bearer(_) => ("bearer", json!({ "type": "http", "scheme": "bearer" })),
        CallerAuth::ApiKey { name, in_query, .. } => (
            "apiKey",
            json!({ "type": "apiKey", "name": name, "in": if *in_query { "query" } else { "header" } }),
        ),
        CallerAuth::Basic { .. } => ("basic", json!({ "type": "http", "scheme": "basic" })),
        CallerAuth::Digest { .. } => ("digest", json!({ "type": "http", "scheme": "digest" })),
        // The issuer may be a bind variable, so no OpenID Connect URL is known at build time.
        CallerAuth::OAuth2 { .. } => (
            "oauth2",
            json!({ "type": "http", "scheme": "bearer", "bearerFormat": "JWT" }),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_placeholders_lists_names() {
        assert_eq!(
            route_placeholders("/v1/orgs/{org-name}/tokens/{id}"),
            ["org-name", "id"]
        );
        assert_eq!(route_placeholders("/files/{*rest}"), ["rest"]);
        assert!(route_placeholders("/v1/ai-gateways").is_empty());
    }
}
