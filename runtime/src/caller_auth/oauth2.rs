//! OAuth 2.0 resource server: callers send `Authorization: Bearer JWT` (RFC 6750), and the
//! adapter verifies each JWT with the public keys of the authorization server that issued it.
//!
//! The keys come from the `jwks_uri` of the issuer's metadata document (RFC 8414, or OpenID
//! Connect discovery as the fallback). They are cached, and [`keys`] describes when they
//! are fetched again. A token passes when its signature verifies with a key of the set that allows the
//! token's `alg`, `exp` and `nbf` hold within [`LEEWAY`], `iss` is the issuer, `aud` contains
//! the audience if one is declared, and its `scope` or `scp` claim grants every required
//! scope.
//!
//! MCP adapters also serve their protected-resource metadata (RFC 9728) without
//! authentication, and their challenges point to it with `resource_metadata`, as the MCP
//! authorization specification asks.

mod keys;

pub use keys::{MAX_KEY_AGE, MIN_FETCH_INTERVAL};

use axum::extract::Request;
use axum::http::header::{AUTHORIZATION, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Validation, decode, decode_header};
use reqwest::Url;
use serde_json::{Value, json};

use self::keys::{KeyError, KeyStore};
use super::{credentials, render};
use crate::auth;
use crate::descriptor::{Template, TokenValidation};
use crate::rest::error_response;
use crate::secret::BindValues;

/// How far `exp` and `nbf` may be off, for clocks of the authorization server and this
/// server that differ slightly.
pub const LEEWAY: u64 = 60;

/// The path of the protected-resource metadata at the root of the host (RFC 9728 §3).
const METADATA_PATH: &str = "/.well-known/oauth-protected-resource";

/// The fields of a [`CallerAuth::OAuth2`](crate::descriptor::CallerAuth::OAuth2), unrendered.
pub(super) struct Config {
    pub issuer: Template,
    pub audience: Option<Template>,
    pub resource: Option<Template>,
    pub scopes: &'static [Template],
    pub validation: TokenValidation,
}

/// The checks of one adapter, rendered at start-up, and its cache of the issuer's keys.
pub(super) struct OAuth2Verifier {
    realm: &'static str,
    issuer: String,
    audience: Option<String>,
    scopes: Vec<String>,
    /// The protected-resource metadata, for MCP adapters only.
    metadata: Option<ResourceMetadata>,
    keys: KeyStore,
}

/// The protected-resource metadata document (RFC 9728) and where it is served.
struct ResourceMetadata {
    /// The absolute URL that challenges name in `resource_metadata`.
    url: String,
    /// The paths that serve the document: the root well-known path and, for a resource
    /// with a path, the well-known path with the resource's path appended.
    paths: Vec<String>,
    document: Value,
}

/// The reason a request was denied.
enum Denial {
    /// `401`: no token, or a token that failed a check.
    Unauthorized {
        reason: &'static str,
        /// A token was sent: the challenge carries `error="invalid_token"`.
        invalid: bool,
    },
    /// `403`: a valid token that lacks a required scope.
    InsufficientScope,
    /// `503`: the issuer's keys could not be fetched.
    Unavailable,
}

impl OAuth2Verifier {
    /// Renders the checks of `config`; `mcp` adds the protected-resource metadata. Errors
    /// name the field that is wrong.
    pub(super) fn new(
        realm: &'static str,
        config: &Config,
        binds: &BindValues,
        mcp: bool,
    ) -> Result<Self, String> {
        let TokenValidation::Jwks = config.validation;
        let issuer = render(config.issuer, binds, "authorizationServerUri")?
            .expose()
            .to_owned();
        let issuer_url = http_url(&issuer, "authorizationServerUri")?;
        let audience = match config.audience {
            Some(audience) => Some(render(audience, binds, "audience")?.expose().to_owned()),
            None => None,
        };
        let resource = match config.resource {
            Some(resource) => Some(render(resource, binds, "resource")?.expose().to_owned()),
            None => None,
        };
        let mut scopes = Vec::with_capacity(config.scopes.len());
        for scope in config.scopes {
            let scope = render(scope, binds, "scopes")?.expose().to_owned();
            check_scope(&scope)?;
            scopes.push(scope);
        }
        let metadata = if mcp {
            let resource = resource.as_deref().ok_or_else(|| {
                "an MCP adapter with oauth2 needs authentication.resource".to_owned()
            })?;
            Some(ResourceMetadata::new(resource, &issuer, &scopes)?)
        } else {
            None
        };
        Ok(Self {
            realm,
            keys: KeyStore::new(issuer_url),
            issuer,
            audience,
            scopes,
            metadata,
        })
    }

    /// Serves the protected-resource metadata when `request` is a `GET` of one of its paths.
    pub(super) fn metadata_response(&self, request: &Request) -> Option<Response> {
        let metadata = self.metadata.as_ref()?;
        let path = request.uri().path();
        if request.method() != Method::GET || !metadata.paths.iter().any(|p| p == path) {
            return None;
        }
        Some(axum::Json(metadata.document.clone()).into_response())
    }

    /// Checks the bearer token of `request` and removes it from the request, or returns the
    /// `401`, `403` or `503` response.
    pub(super) async fn check(&self, request: &mut Request) -> Result<(), Response> {
        // Copied out, because a borrowed request would make the future not `Send`.
        let token = credentials(request, "Bearer").map(str::to_owned);
        match self.verify(token.as_deref()).await {
            Ok(()) => {
                request.headers_mut().remove(AUTHORIZATION);
                Ok(())
            }
            Err(denial) => {
                let reason = match &denial {
                    Denial::Unauthorized { reason, .. } => reason,
                    Denial::InsufficientScope => "insufficient scope",
                    Denial::Unavailable => "signing keys unavailable",
                };
                // Neither the token nor the query is logged.
                tracing::info!(
                    adapter = self.realm,
                    method = %request.method(),
                    path = request.uri().path(),
                    reason,
                    "caller authentication failed"
                );
                Err(self.deny(&denial))
            }
        }
    }

    async fn verify(&self, token: Option<&str>) -> Result<(), Denial> {
        let token = token.ok_or(Denial::Unauthorized {
            reason: "missing bearer token",
            invalid: false,
        })?;
        let invalid = |reason| Denial::Unauthorized {
            reason,
            invalid: true,
        };
        let header = decode_header(token).map_err(|_| invalid("malformed token"))?;
        let key = match self.keys.key_for(&header).await {
            Ok(key) => key,
            Err(KeyError::Unknown) => {
                return Err(invalid("no key of the issuer verifies the token"));
            }
            Err(KeyError::Unavailable) => return Err(Denial::Unavailable),
        };
        let claims = decode::<Value>(token, &key.key, &self.validation(&header))
            .map_err(|error| invalid(token_error(error.kind())))?
            .claims;
        let granted = granted_scopes(&claims);
        if self
            .scopes
            .iter()
            .any(|scope| !granted.contains(&scope.as_str()))
        {
            return Err(Denial::InsufficientScope);
        }
        Ok(())
    }

    /// Returns the checks of one token; the signature algorithm is the token's own, which
    /// the key has already been matched against.
    fn validation(&self, header: &jsonwebtoken::Header) -> Validation {
        let mut validation = Validation::new(header.alg);
        validation.leeway = LEEWAY;
        validation.validate_nbf = true;
        validation.set_issuer(&[&self.issuer]);
        match &self.audience {
            Some(audience) => {
                validation.set_audience(&[audience]);
                validation.set_required_spec_claims(&["exp", "iss", "aud"]);
            }
            None => {
                validation.validate_aud = false;
                validation.set_required_spec_claims(&["exp", "iss"]);
            }
        }
        validation
    }

    /// Builds the response to a denied request, with its `WWW-Authenticate` challenge.
    fn deny(&self, denial: &Denial) -> Response {
        let (status, code, message, error) = match denial {
            Denial::Unauthorized { invalid: false, .. } => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "missing bearer token in the Authorization header".to_owned(),
                None,
            ),
            Denial::Unauthorized { invalid: true, .. } => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "invalid access token".to_owned(),
                Some("invalid_token"),
            ),
            Denial::InsufficientScope => (
                StatusCode::FORBIDDEN,
                "insufficient_scope",
                format!(
                    "the access token lacks a required scope: {}",
                    self.scopes.join(" ")
                ),
                Some("insufficient_scope"),
            ),
            Denial::Unavailable => {
                let mut response = error_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "auth_unavailable",
                    "the authorization server's signing keys could not be fetched; retry later",
                );
                let retry = keys::MIN_FETCH_INTERVAL.as_secs().to_string();
                if let Ok(value) = HeaderValue::from_str(&retry) {
                    response.headers_mut().insert(RETRY_AFTER, value);
                }
                return response;
            }
        };
        let mut response = error_response(status, code, &message);
        if let Ok(value) = HeaderValue::from_str(&self.challenge(error)) {
            response.headers_mut().insert(WWW_AUTHENTICATE, value);
        }
        response
    }

    /// Returns the `Bearer` challenge (RFC 6750 §3), with `resource_metadata` (RFC 9728 §5.1)
    /// for MCP adapters.
    fn challenge(&self, error: Option<&str>) -> String {
        let mut challenge = format!("Bearer realm=\"{}\"", auth::quote(self.realm));
        if let Some(error) = error {
            challenge.push_str(&format!(", error=\"{error}\""));
        }
        if !self.scopes.is_empty() {
            challenge.push_str(&format!(", scope=\"{}\"", self.scopes.join(" ")));
        }
        if let Some(metadata) = &self.metadata {
            challenge.push_str(&format!(
                ", resource_metadata=\"{}\"",
                auth::quote(&metadata.url)
            ));
        }
        challenge
    }
}

impl ResourceMetadata {
    fn new(resource: &str, issuer: &str, scopes: &[String]) -> Result<Self, String> {
        let url = http_url(resource, "resource")?;
        if url.fragment().is_some() {
            return Err(format!(
                "authentication.resource `{resource}` has a fragment"
            ));
        }
        // RFC 9728 §3.1: the well-known segment goes between the host and the resource's
        // path, and a path of only `/` counts as none.
        let resource_path = url.path().trim_end_matches('/');
        let mut paths = vec![METADATA_PATH.to_owned()];
        if !resource_path.is_empty() {
            paths.push(format!("{METADATA_PATH}{resource_path}"));
        }
        let url = format!(
            "{}{}",
            url.origin().ascii_serialization(),
            paths.last().map_or(METADATA_PATH, String::as_str)
        );
        let mut document = json!({
            "resource": resource,
            "authorization_servers": [issuer],
            "bearer_methods_supported": ["header"],
        });
        if !scopes.is_empty() {
            document["scopes_supported"] = json!(scopes);
        }
        Ok(Self {
            url,
            paths,
            document,
        })
    }
}

/// Parses `value` as an absolute `http` or `https` URL.
fn http_url(value: &str, field: &str) -> Result<Url, String> {
    let url = Url::parse(value)
        .map_err(|error| format!("authentication.{field} `{value}` is not a URL: {error}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(format!(
            "authentication.{field} `{value}` is not an http or https URL"
        ));
    }
    Ok(url)
}

/// Checks that `scope` is one scope token (RFC 6749 §3.3), so that it can appear in a
/// space-separated list and in a quoted challenge parameter.
fn check_scope(scope: &str) -> Result<(), String> {
    let valid = !scope.is_empty()
        && scope
            .bytes()
            .all(|byte| matches!(byte, 0x21 | 0x23..=0x5B | 0x5D..=0x7E));
    if !valid {
        return Err(format!(
            "authentication.scopes: `{scope}` is not a scope token (no spaces, `\"` or `\\`)"
        ));
    }
    Ok(())
}

/// Returns the scopes a token grants: its `scope` claim (RFC 8693 §4.2, space-separated)
/// and its `scp` claim, which some servers send as an array and others as a string.
fn granted_scopes(claims: &Value) -> Vec<&str> {
    let mut granted = Vec::new();
    for name in ["scope", "scp"] {
        match claims.get(name) {
            Some(Value::String(list)) => granted.extend(list.split_ascii_whitespace()),
            Some(Value::Array(items)) => granted.extend(items.iter().filter_map(Value::as_str)),
            _ => {}
        }
    }
    granted
}

/// Names the failed check of a token for the log.
fn token_error(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidSignature => "invalid signature",
        ErrorKind::ExpiredSignature => "expired token",
        ErrorKind::ImmatureSignature => "token not yet valid (nbf)",
        ErrorKind::InvalidIssuer => "wrong issuer",
        ErrorKind::InvalidAudience => "wrong audience",
        ErrorKind::MissingRequiredClaim(_) => "missing exp, iss or aud claim",
        ErrorKind::InvalidClaimFormat(_) => "malformed claim",
        ErrorKind::InvalidAlgorithm => "algorithm not allowed for the key",
        _ => "malformed token",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_and_scp_are_read() {
        let claims = json!({"scope": "a  b", "scp": ["c", 1]});
        assert_eq!(granted_scopes(&claims), ["a", "b", "c"]);
        let claims = json!({"scp": "d e"});
        assert_eq!(granted_scopes(&claims), ["d", "e"]);
        assert!(granted_scopes(&json!({"scope": 3})).is_empty());
    }

    #[test]
    fn scope_tokens_checked() {
        assert!(check_scope("stock:read").is_ok());
        for scope in ["", "two words", "quo\"te", "back\\slash", "tab\t"] {
            assert!(check_scope(scope).is_err(), "{scope:?}");
        }
    }

    #[test]
    fn metadata_path_follows_resource_path() {
        let metadata = ResourceMetadata::new("https://mcp.example.com/mcp", "https://as", &[])
            .expect("valid resource");
        assert_eq!(
            metadata.url,
            "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"
        );
        assert_eq!(
            metadata.paths,
            [METADATA_PATH, "/.well-known/oauth-protected-resource/mcp"]
        );
        assert!(metadata.document.get("scopes_supported").is_none());
    }

    #[test]
    fn metadata_of_root_resource() {
        let scopes = ["read".to_owned()];
        let metadata = ResourceMetadata::new("http://127.0.0.1:9/", "https://as", &scopes)
            .expect("valid resource");
        assert_eq!(
            metadata.url,
            "http://127.0.0.1:9/.well-known/oauth-protected-resource"
        );
        assert_eq!(metadata.paths, [METADATA_PATH]);
        assert_eq!(metadata.document["scopes_supported"], json!(["read"]));
    }

    #[test]
    fn non_http_urls_rejected() {
        for value in ["mcp.example.com", "ftp://example.com", "urn:example:mcp"] {
            assert!(http_url(value, "resource").is_err(), "{value}");
        }
    }
}
