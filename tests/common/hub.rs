//! The behaviour of a fake Docker Hub for the five org-access-token endpoints, free of any
//! HTTP framework so that the tests and `examples/fake_docker_hub.rs` share it.
//!
//! Tokens live in memory, keyed by organization and id. Every organization starts with one
//! token, [`SEEDED_TOKEN_ID`]. The JSON follows the shape of Docker Hub's org access tokens
//! (`id`, `label`, `is_active`, `resources`, ...), but nothing here is checked against the
//! real service.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde_json::{Value, json};

/// The id of the token that every organization has before any call.
pub const SEEDED_TOKEN_ID: &str = "a7a5ef25-8889-43a0-8cc7-f2a94268e861";

/// A response of the fake Docker Hub: a status and an optional JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct HubResponse {
    /// The HTTP status code.
    pub status: u16,
    /// The JSON body; `None` sends an empty body without a content type.
    pub body: Option<Value>,
}

impl HubResponse {
    fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            body: Some(body),
        }
    }

    fn error(status: u16, message: &str) -> Self {
        Self::json(status, json!({"message": message, "errinfo": {}}))
    }
}

/// The in-memory tokens of a fake Docker Hub.
#[derive(Debug, Default)]
pub struct Hub {
    state: Mutex<HubState>,
}

#[derive(Debug, Default)]
struct HubState {
    /// Tokens by raw (still percent-encoded) organization segment, then by id.
    tokens: BTreeMap<String, BTreeMap<String, Value>>,
    /// The number of tokens created so far, for new ids.
    created: u64,
}

impl Hub {
    /// Handles one request, given its method, its raw path and its `Authorization` header.
    ///
    /// Returns 401 unless the header is `Bearer` followed by a non-empty token, 400 for a
    /// create or update body that is not a JSON object, 404 for an unknown path or token
    /// id, and 405 for another method on a known path.
    pub fn handle(
        &self,
        method: &str,
        path: &str,
        authorization: Option<&str>,
        body: &[u8],
    ) -> HubResponse {
        let has_bearer = authorization
            .and_then(|value| value.strip_prefix("Bearer "))
            .is_some_and(|token| !token.trim().is_empty());
        if !has_bearer {
            return HubResponse::error(401, "authentication required");
        }

        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let mut state = self.state.lock().expect("hub state lock");
        match segments.as_slice() {
            ["v2", "orgs", org, "access-tokens"] if !org.is_empty() => match method {
                "GET" => state.list(org),
                "POST" => match parse_object(body) {
                    Ok(request) => state.create(org, &request),
                    Err(response) => response,
                },
                _ => HubResponse::error(405, "method not allowed"),
            },
            ["v2", "orgs", org, "access-tokens", id] if !org.is_empty() && !id.is_empty() => {
                match method {
                    "GET" => state.get(org, id),
                    "PATCH" => match parse_object(body) {
                        Ok(request) => state.update(org, id, &request),
                        Err(response) => response,
                    },
                    "DELETE" => state.delete(org, id),
                    _ => HubResponse::error(405, "method not allowed"),
                }
            }
            _ => HubResponse::error(404, "not found"),
        }
    }
}

impl HubState {
    fn tokens_of(&mut self, org: &str) -> &mut BTreeMap<String, Value> {
        self.tokens.entry(org.to_owned()).or_insert_with(|| {
            BTreeMap::from([(SEEDED_TOKEN_ID.to_owned(), token(SEEDED_TOKEN_ID, "seeded"))])
        })
    }

    fn list(&mut self, org: &str) -> HubResponse {
        let results: Vec<Value> = self.tokens_of(org).values().cloned().collect();
        HubResponse::json(
            200,
            json!({"count": results.len(), "next": null, "previous": null, "results": results}),
        )
    }

    fn create(&mut self, org: &str, request: &serde_json::Map<String, Value>) -> HubResponse {
        self.created += 1;
        let id = format!("00000000-0000-4000-8000-{:012}", self.created);
        let label = request
            .get("label")
            .and_then(Value::as_str)
            .unwrap_or("unnamed");
        let mut created = token(&id, label);
        if let Some(resources) = request.get("resources") {
            created["resources"] = resources.clone();
        }
        self.tokens_of(org).insert(id.clone(), created.clone());
        // Docker Hub shows the secret only in the response to the create call.
        created["token"] = json!(format!("dckr_oat_fake_{id}"));
        HubResponse::json(201, created)
    }

    fn get(&mut self, org: &str, id: &str) -> HubResponse {
        match self.tokens_of(org).get(id) {
            Some(found) => HubResponse::json(200, found.clone()),
            None => token_not_found(id),
        }
    }

    fn update(
        &mut self,
        org: &str,
        id: &str,
        request: &serde_json::Map<String, Value>,
    ) -> HubResponse {
        let Some(found) = self.tokens_of(org).get_mut(id) else {
            return token_not_found(id);
        };
        for field in ["label", "description", "is_active", "resources"] {
            if let Some(value) = request.get(field) {
                found[field] = value.clone();
            }
        }
        HubResponse::json(200, found.clone())
    }

    fn delete(&mut self, org: &str, id: &str) -> HubResponse {
        match self.tokens_of(org).remove(id) {
            Some(_) => HubResponse {
                status: 204,
                body: None,
            },
            None => token_not_found(id),
        }
    }
}

fn token(id: &str, label: &str) -> Value {
    json!({
        "id": id,
        "label": label,
        "description": "",
        "created_by": "fake-hub",
        "is_active": true,
        "created_at": "2026-05-19T00:00:00Z",
        "expires_at": null,
        "last_used_at": null,
        "resources": [],
    })
}

fn token_not_found(id: &str) -> HubResponse {
    HubResponse::error(404, &format!("access token {id} not found"))
}

fn parse_object(body: &[u8]) -> Result<serde_json::Map<String, Value>, HubResponse> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(object)) => Ok(object),
        _ => Err(HubResponse::error(400, "the body must be a JSON object")),
    }
}
