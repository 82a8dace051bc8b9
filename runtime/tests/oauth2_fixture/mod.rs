//! A test authorization server on loopback (metadata document and key set), signed access
//! tokens, and adapters that require them.
//!
//! The two keys in this folder are test-only keys, committed so the tests need no key
//! generation; they protect nothing.

#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::extract::State;
use axum::routing::get;
use base64::Engine as _;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use naftiko_runtime::descriptor::{
    BindSource, BindVariable, CallerAuth, Capability, TemplatePart, TokenValidation,
};
use naftiko_runtime::invoke::CapabilityContext;
use naftiko_runtime::secret::{BindValues, Secret};
use naftiko_test_support::loopback_http;
use serde_json::{Value, json};

/// The audience of REST adapter tokens.
pub const AUDIENCE: &str = "https://inventory.example.com/api";
/// The resource identifier of the MCP adapter, also the audience of its tokens.
pub const RESOURCE: &str = "https://tools.example.com/mcp";
/// The scope every token must grant.
pub const SCOPE: &str = "stock:read";

const RSA_PEM: &str = include_str!("rsa-test-key.pem");
const EC_PEM: &str = include_str!("ec-test-key.pem");

/// The key id of the RSA key in the key set.
pub const RSA_KID: &str = "rsa-1";
/// The key id of the P-256 key in the key set.
pub const EC_KID: &str = "ec-1";

pub static CAPABILITY: Capability = Capability {
    name: "caller-auth-oauth2",
    spec_file: "specs/caller-auth-oauth2.yaml",
    description: None,
    binds: &[BindVariable {
        namespace: "env",
        key: "OAUTH_ISSUER",
        source: BindSource::Env("OAUTH_ISSUER"),
        used_by: &[],
    }],
    consumes: &[],
    rest: &[],
    mcp: &[],
    control: &[],
    skill: &[],
};

/// Returns oauth2 with the issuer from bind variable 0, the scope [`SCOPE`], and `audience`
/// and `resource` as literals.
pub fn oauth2(audience: &'static str, resource: Option<&'static str>) -> CallerAuth {
    let literal = |text: &'static str| -> &'static [TemplatePart] {
        Box::leak(Box::new([TemplatePart::Literal(text)]))
    };
    CallerAuth::OAuth2 {
        issuer: &[TemplatePart::Bind(0)],
        audience: Some(literal(audience)),
        resource: resource.map(literal),
        scopes: Box::leak(Box::new([literal(SCOPE)])),
        validation: TokenValidation::Jwks,
    }
}

/// Returns a context whose bind variable 0 is `issuer`.
pub fn context(issuer: &str) -> Arc<CapabilityContext> {
    let binds = BindValues::from_values(vec![Secret::new(issuer)]);
    Arc::new(CapabilityContext::new(
        &CAPABILITY,
        binds,
        loopback_http(),
        &Default::default(),
    ))
}

/// A test authorization server: its issuer URL and how often its key set was fetched.
pub struct AuthServer {
    pub issuer: String,
    state: Arc<ServerState>,
}

struct ServerState {
    issuer: String,
    keys: std::sync::Mutex<Value>,
    key_set_fetches: AtomicUsize,
}

impl AuthServer {
    /// Starts a server that publishes only the RSA key.
    pub async fn start() -> Self {
        Self::start_with(&[RSA_KID]).await
    }

    /// Starts a server whose key set contains the keys `kids` names.
    pub async fn start_with(kids: &[&str]) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binds a loopback port");
        let issuer = format!("http://{}", listener.local_addr().expect("local address"));
        let state = Arc::new(ServerState {
            issuer: issuer.clone(),
            keys: std::sync::Mutex::new(key_set(kids)),
            key_set_fetches: AtomicUsize::new(0),
        });
        let router = axum::Router::new()
            .route(
                "/.well-known/oauth-authorization-server",
                get(|State(state): State<Arc<ServerState>>| async move {
                    Json(json!({
                        "issuer": state.issuer,
                        "jwks_uri": format!("{}/jwks", state.issuer),
                    }))
                }),
            )
            .route(
                "/jwks",
                get(|State(state): State<Arc<ServerState>>| async move {
                    state.key_set_fetches.fetch_add(1, Ordering::SeqCst);
                    Json(state.keys.lock().expect("key set lock").clone())
                }),
            )
            .with_state(Arc::clone(&state));
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Self { issuer, state }
    }

    /// Replaces the published key set with the keys `kids` names.
    pub fn publish(&self, kids: &[&str]) {
        *self.state.keys.lock().expect("key set lock") = key_set(kids);
    }

    /// Returns how many times the key set was fetched.
    pub fn key_set_fetches(&self) -> usize {
        self.state.key_set_fetches.load(Ordering::SeqCst)
    }
}

fn der(pem: &str) -> Vec<u8> {
    let body: String = pem
        .lines()
        .skip_while(|line| !line.starts_with("-----BEGIN"))
        .skip(1)
        .take_while(|line| !line.starts_with("-----END"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .expect("a base64 PEM body")
}

fn rsa_key() -> EncodingKey {
    EncodingKey::from_rsa_der(&der(RSA_PEM))
}

fn ec_key() -> EncodingKey {
    EncodingKey::from_ec_der(&der(EC_PEM))
}

/// Returns the public JWK of the key with `kid`.
fn public_jwk(kid: &str) -> Jwk {
    let mut jwk = match kid {
        RSA_KID => Jwk::from_encoding_key(&rsa_key(), Algorithm::RS256),
        EC_KID => Jwk::from_encoding_key(&ec_key(), Algorithm::ES256),
        other => panic!("no test key `{other}`"),
    }
    .expect("a public JWK");
    jwk.common.key_id = Some(kid.to_owned());
    jwk
}

fn key_set(kids: &[&str]) -> Value {
    let set = JwkSet {
        keys: kids.iter().map(|kid| public_jwk(kid)).collect(),
    };
    serde_json::to_value(set).expect("a JSON key set")
}

/// Returns the current Unix time in seconds.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs()
}

/// Returns valid claims for `issuer` and `audience`, with the scope [`SCOPE`].
pub fn claims(issuer: &str, audience: &str) -> Value {
    json!({
        "iss": issuer,
        "aud": audience,
        "sub": "agent-7",
        "iat": now(),
        "exp": now() + 300,
        "scope": format!("openid {SCOPE}"),
    })
}

/// Signs `claims` with the RSA key under RS256 and the key id `kid`.
pub fn rsa_token(claims: &Value, kid: Option<&str>) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &rsa_key()).expect("signs the token")
}

/// Signs `claims` with the P-256 key under ES256 and the key id [`EC_KID`].
pub fn ec_token(claims: &Value) -> String {
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(EC_KID.to_owned());
    jsonwebtoken::encode(&header, claims, &ec_key()).expect("signs the token")
}

/// Returns an unsigned token (`alg: none`) with `claims`.
pub fn unsigned_token(claims: &Value) -> String {
    let encode =
        |value: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string());
    let header = json!({"alg": "none", "typ": "JWT", "kid": RSA_KID});
    format!("{}.{}.", encode(&header), encode(claims))
}

/// Returns an HS256 token whose HMAC key is the RSA key's public JWK, as an attacker who
/// read the key set could make it.
pub fn hmac_with_public_key_token(claims: &Value) -> String {
    let secret = serde_json::to_vec(&public_jwk(RSA_KID)).expect("a JSON key");
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(RSA_KID.to_owned());
    let key = EncodingKey::from_secret(&secret).expect("an HMAC key");
    jsonwebtoken::encode(&header, claims, &key).expect("signs the token")
}

/// Returns `token` with one character of its signature changed.
pub fn tampered(token: &str) -> String {
    let mut bytes = token.as_bytes().to_vec();
    let last = bytes.len() - 2;
    bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).expect("ASCII token")
}
