//! Authentication of the callers of REST and MCP adapters (`exposes[].authentication`).
//!
//! [`protect`] wraps an adapter's router in a middleware that checks every request, unknown
//! paths included, before any route runs. The expected credential is rendered once from the
//! bind variables when the router is built. Every comparison of a credential runs in constant
//! time, and neither a response nor a log line contains a credential.
//!
//! A request without a valid credential gets a `401` with a `WWW-Authenticate` challenge and
//! a JSON body `{"error": {"code": "unauthorized", "message": "..."}}`. An accepted request
//! reaches the adapter without its credential: the `Authorization` header, the API key header
//! or the API key query parameter is removed, so no forward can pass it on upstream.
//!
//! Digest nonces are stateless, so every replica of an adapter accepts the nonces of the
//! others: see [`NONCE_LIFETIME`].
//!
//! With oauth2 the adapter is an OAuth 2.0 resource server that verifies JWT access tokens
//! with its authorization server's published keys: see [`oauth2`]. A token that lacks a
//! required scope gets a `403`, and a key set that cannot be fetched a `503`.

pub mod oauth2;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::http::{HeaderName, HeaderValue, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine as _;
use hmac::{KeyInit, Mac};
use percent_encoding::percent_decode_str;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq;

use crate::auth::{self, DigestAlgorithm, DigestChallenge, DigestRequest, Qop};
use crate::descriptor::{ApiKeyPlacement, CallerAuth, Template};
use crate::rest::error_response;
use crate::secret::{BindValues, Secret};
use crate::upstream::render_template;
use oauth2::OAuth2Verifier;

/// How long a digest nonce stays valid after the challenge that issued it.
///
/// A nonce is the challenge's Unix time in seconds followed by an HMAC-SHA-256 of that time,
/// keyed by `SHA-256(username:realm:password)`. Any replica that knows the same credentials can
/// check it without shared state, and a nonce from before a password change no longer
/// verifies. The server keeps no nonce counts, so a captured `Authorization` header can be
/// replayed for the same method and URI until its nonce expires.
pub const NONCE_LIFETIME: Duration = Duration::from_secs(300);

/// How far in the future a nonce's time may lie, for clocks of replicas that differ slightly.
const CLOCK_SKEW: Duration = Duration::from_secs(30);

type HmacSha256 = hmac::Hmac<Sha256>;

/// Wraps `router` so that every request must present the credential `auth` describes.
///
/// `adapter` is the expose namespace, used as the realm of bearer, API key and basic
/// challenges and in log lines. When the credential cannot be rendered from `binds` (a missing
/// bind variable or an empty value), the error is logged once and every request is answered
/// with a `500`, so the adapter never serves unauthenticated callers.
pub fn protect(
    router: Router,
    adapter: &'static str,
    auth: &'static CallerAuth,
    binds: &BindValues,
) -> Router {
    protect_adapter(router, adapter, auth, binds, false)
}

/// Wraps the router of an MCP adapter like [`protect`]. With oauth2 it also serves the
/// adapter's protected-resource metadata (RFC 9728) without authentication, and points to it
/// from every challenge, as the MCP authorization specification requires.
pub fn protect_mcp(
    router: Router,
    adapter: &'static str,
    auth: &'static CallerAuth,
    binds: &BindValues,
) -> Router {
    protect_adapter(router, adapter, auth, binds, true)
}

fn protect_adapter(
    router: Router,
    adapter: &'static str,
    auth: &'static CallerAuth,
    binds: &BindValues,
    mcp: bool,
) -> Router {
    let verifier = Check::new(adapter, auth, binds, mcp).inspect_err(|error| {
        tracing::error!(
            adapter,
            scheme = scheme_name(auth),
            %error,
            "caller authentication is misconfigured; every request will be rejected"
        );
    });
    let guard = Arc::new(Guard { adapter, verifier });
    router.layer(axum::middleware::from_fn_with_state(guard, authenticate))
}

/// The state of the middleware of one adapter.
struct Guard {
    adapter: &'static str,
    /// The rendered credential, or why it could not be rendered.
    verifier: Result<Check, String>,
}

/// The check of one adapter's callers.
enum Check {
    /// A credential compared with the expected one.
    Static(Verifier),
    /// An access token verified with the authorization server's keys.
    OAuth2(Box<OAuth2Verifier>),
}

impl Check {
    fn new(
        adapter: &'static str,
        auth: &'static CallerAuth,
        binds: &BindValues,
        mcp: bool,
    ) -> Result<Self, String> {
        match auth {
            CallerAuth::OAuth2 {
                issuer,
                audience,
                resource,
                scopes,
                validation,
            } => {
                let config = oauth2::Config {
                    issuer,
                    audience: *audience,
                    resource: *resource,
                    scopes,
                    validation: *validation,
                };
                let verifier = OAuth2Verifier::new(adapter, &config, binds, mcp)?;
                Ok(Self::OAuth2(Box::new(verifier)))
            }
            _ => Verifier::new(adapter, auth, binds).map(Self::Static),
        }
    }
}

/// An expected credential, rendered at start-up.
enum Verifier {
    /// The SHA-256 of the expected token, compared with the SHA-256 of the one sent so the
    /// comparison takes the same time for every length.
    Bearer {
        realm: &'static str,
        token: [u8; 32],
    },
    /// The SHA-256 of the expected key.
    ApiKey {
        realm: &'static str,
        name: &'static str,
        header: Option<HeaderName>,
        key: [u8; 32],
    },
    /// The SHA-256 of the expected user name and of the password.
    Basic {
        realm: &'static str,
        username: [u8; 32],
        password: [u8; 32],
    },
    /// The credentials and the key that signs nonces.
    Digest {
        realm: &'static str,
        username: Secret,
        password: Secret,
        nonce_key: [u8; 32],
    },
}

/// Why a request was rejected: a reason for the log and a message for the caller.
struct Rejection {
    reason: &'static str,
    message: String,
    /// The nonce was well formed and signed but expired: the digest challenge says
    /// `stale=true`, so clients retry with the same credentials.
    stale: bool,
    /// A credential was sent but is wrong; bearer challenges then carry
    /// `error="invalid_token"` (RFC 6750 §3.1).
    invalid: bool,
}

impl Rejection {
    fn missing(message: String) -> Self {
        Self {
            reason: "missing credential",
            message,
            stale: false,
            invalid: false,
        }
    }

    fn invalid(reason: &'static str) -> Self {
        Self {
            reason,
            message: "invalid credentials".to_owned(),
            stale: false,
            invalid: true,
        }
    }
}

fn scheme_name(auth: &CallerAuth) -> &'static str {
    match auth {
        CallerAuth::Bearer { .. } => "bearer",
        CallerAuth::ApiKey { .. } => "apikey",
        CallerAuth::Basic { .. } => "basic",
        CallerAuth::Digest { .. } => "digest",
        CallerAuth::OAuth2 { .. } => "oauth2",
    }
}

impl Verifier {
    /// Renders the expected credential. Errors name the field but never a value.
    fn new(
        adapter: &'static str,
        auth: &'static CallerAuth,
        binds: &BindValues,
    ) -> Result<Self, String> {
        match auth {
            CallerAuth::Bearer { token } => {
                let token = render(token, binds, "token")?;
                Ok(Self::Bearer {
                    realm: adapter,
                    token: sha256(token.expose().as_bytes()),
                })
            }
            CallerAuth::ApiKey {
                name,
                value,
                placement,
            } => {
                let key = render(value, binds, "value")?;
                let header = match placement {
                    ApiKeyPlacement::Query => None,
                    ApiKeyPlacement::Header => Some(
                        HeaderName::from_bytes(name.as_bytes())
                            .map_err(|_| format!("invalid API key header name `{name}`"))?,
                    ),
                };
                Ok(Self::ApiKey {
                    realm: adapter,
                    name,
                    header,
                    key: sha256(key.expose().as_bytes()),
                })
            }
            CallerAuth::Basic { username, password } => {
                let username = render(username, binds, "username")?;
                let password = render(password, binds, "password")?;
                // RFC 7617 §2: the first colon ends the user-id, so no caller could send this
                // user name.
                if username.expose().contains(':') {
                    return Err("the basic authentication user name contains `:`".to_owned());
                }
                Ok(Self::Basic {
                    realm: adapter,
                    username: sha256(username.expose().as_bytes()),
                    password: sha256(password.expose().as_bytes()),
                })
            }
            CallerAuth::Digest {
                username,
                password,
                realm,
            } => {
                let username = render(username, binds, "username")?;
                let password = render(password, binds, "password")?;
                // The challenge must be a valid header value.
                HeaderValue::from_str(&auth::quote(realm))
                    .map_err(|_| format!("the digest realm `{realm}` is invalid in a header"))?;
                let nonce_key = sha256(
                    format!("{}:{realm}:{}", username.expose(), password.expose()).as_bytes(),
                );
                Ok(Self::Digest {
                    realm,
                    username,
                    password,
                    nonce_key,
                })
            }
            CallerAuth::OAuth2 { .. } => Err("oauth2 is checked by an OAuth2Verifier".to_owned()),
        }
    }

    /// Checks the credential of `request` and removes it from the request.
    fn verify(&self, request: &mut Request) -> Result<(), Rejection> {
        match self {
            Self::Bearer { token, .. } => {
                let sent = credentials(request, "Bearer").ok_or_else(|| {
                    Rejection::missing("missing bearer token in the Authorization header".into())
                })?;
                if !bool::from(sha256(sent.as_bytes()).ct_eq(token)) {
                    return Err(Rejection::invalid("wrong bearer token"));
                }
                request.headers_mut().remove(AUTHORIZATION);
                Ok(())
            }
            Self::ApiKey {
                name, header, key, ..
            } => match header {
                Some(header) => {
                    let sent = request.headers().get(header).ok_or_else(|| {
                        Rejection::missing(format!("missing API key in the `{name}` header"))
                    })?;
                    if !bool::from(sha256(sent.as_bytes()).ct_eq(key)) {
                        return Err(Rejection::invalid("wrong API key"));
                    }
                    request.headers_mut().remove(header);
                    Ok(())
                }
                None => {
                    let (sent, stripped) =
                        take_query_param(request.uri(), name).ok_or_else(|| {
                            Rejection::missing(format!(
                                "missing API key in the `{name}` query parameter"
                            ))
                        })?;
                    if !bool::from(sha256(sent.as_bytes()).ct_eq(key)) {
                        return Err(Rejection::invalid("wrong API key"));
                    }
                    *request.uri_mut() = stripped;
                    Ok(())
                }
            },
            Self::Basic {
                username, password, ..
            } => {
                let sent = credentials(request, "Basic").ok_or_else(|| {
                    Rejection::missing(
                        "missing basic credentials in the Authorization header".into(),
                    )
                })?;
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(sent.trim())
                    .map_err(|_| Rejection::invalid("basic credentials are not base64"))?;
                let Some(colon) = decoded.iter().position(|&byte| byte == b':') else {
                    return Err(Rejection::invalid("basic credentials have no colon"));
                };
                let user_matches = sha256(&decoded[..colon]).ct_eq(username);
                let password_matches = sha256(&decoded[colon + 1..]).ct_eq(password);
                if !bool::from(user_matches & password_matches) {
                    return Err(Rejection::invalid("wrong basic credentials"));
                }
                request.headers_mut().remove(AUTHORIZATION);
                Ok(())
            }
            Self::Digest { .. } => {
                self.verify_digest(request)?;
                request.headers_mut().remove(AUTHORIZATION);
                Ok(())
            }
        }
    }

    /// Checks an `Authorization: Digest` header against RFC 7616 §3.4 with `qop=auth`.
    fn verify_digest(&self, request: &Request) -> Result<(), Rejection> {
        let Self::Digest {
            realm,
            username,
            password,
            nonce_key,
        } = self
        else {
            return Err(Rejection::invalid("not a digest verifier"));
        };
        let header = request
            .headers()
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .ok_or_else(|| Rejection::missing("missing digest credentials".into()))?;
        let params = auth::parse_challenges(header)
            .into_iter()
            .find(|(scheme, _)| scheme.eq_ignore_ascii_case("digest"))
            .map(|(_, params)| params)
            .ok_or_else(|| Rejection::missing("missing digest credentials".into()))?;
        let get = |key: &str| {
            params
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(key))
                .map(|(_, value)| value.as_str())
        };
        let malformed = || Rejection::invalid("malformed digest credentials");

        let algorithm = match get("algorithm").unwrap_or("MD5") {
            name if name.eq_ignore_ascii_case("MD5") => DigestAlgorithm::Md5,
            name if name.eq_ignore_ascii_case("SHA-256") => DigestAlgorithm::Sha256,
            _ => return Err(Rejection::invalid("unsupported digest algorithm")),
        };
        if !get("qop").is_some_and(|qop| qop.eq_ignore_ascii_case("auth")) {
            return Err(Rejection::invalid("digest qop is not auth"));
        }
        if get("realm") != Some(realm) {
            return Err(Rejection::invalid("wrong digest realm"));
        }
        // RFC 7616 §3.4: the response covers the `uri` parameter, so it must name the
        // request's own target, or a response for one URI would open another.
        let target = request
            .uri()
            .path_and_query()
            .map_or("/", |target| target.as_str());
        if get("uri") != Some(target) {
            return Err(Rejection::invalid("digest uri does not match the request"));
        }
        let nonce = get("nonce").ok_or_else(malformed)?;
        let cnonce = get("cnonce").ok_or_else(malformed)?;
        let nc = get("nc")
            .and_then(|nc| u32::from_str_radix(nc, 16).ok())
            .ok_or_else(malformed)?;
        let sent_response = get("response").ok_or_else(malformed)?;

        // A user name outside ASCII travels as `username*`, which this check does not read,
        // so such a caller is rejected as having sent no user name.
        let sent_username = get("username").ok_or_else(malformed)?;
        let expected_username = match get("userhash") {
            Some(flag) if flag.eq_ignore_ascii_case("true") => {
                algorithm.hash(format!("{}:{realm}", username.expose()).as_bytes())
            }
            _ => username.expose().to_owned(),
        };
        let user_matches =
            sha256(sent_username.as_bytes()).ct_eq(&sha256(expected_username.as_bytes()));

        let challenge = DigestChallenge {
            realm: (*realm).to_owned(),
            nonce: nonce.to_owned(),
            opaque: None,
            algorithm,
            session: false,
            qop: Qop::Auth,
            userhash: false,
        };
        let digest_request = DigestRequest {
            method: request.method().as_str(),
            uri: target,
            body: &[],
            cnonce,
            nc,
        };
        let expected = auth::digest_response(
            &challenge,
            &digest_request,
            username.expose(),
            password.expose(),
        );
        let response_matches = sha256(sent_response.to_ascii_lowercase().as_bytes())
            .ct_eq(&sha256(expected.as_bytes()));
        if !bool::from(user_matches & response_matches) {
            return Err(Rejection::invalid("wrong digest response"));
        }
        // The nonce is checked last: a stale nonce with a correct response asks the client
        // to retry with a fresh one (`stale=true`) instead of asking for new credentials.
        match check_nonce(nonce_key, nonce, SystemTime::now()) {
            NonceCheck::Valid => Ok(()),
            NonceCheck::Expired => Err(Rejection {
                reason: "expired digest nonce",
                message: "the digest nonce has expired; retry with the new challenge".to_owned(),
                stale: true,
                invalid: false,
            }),
            NonceCheck::Invalid => Err(Rejection::invalid("digest nonce not issued here")),
        }
    }

    /// Returns the `WWW-Authenticate` values of a `401`.
    fn challenges(&self, rejection: &Rejection) -> Vec<String> {
        match self {
            Self::Bearer { realm, .. } => {
                let mut challenge = format!("Bearer realm=\"{}\"", auth::quote(realm));
                if rejection.invalid {
                    challenge.push_str(", error=\"invalid_token\"");
                }
                vec![challenge]
            }
            // No registered scheme carries an API key, so the challenge names where it goes.
            Self::ApiKey {
                realm,
                name,
                header,
                ..
            } => vec![format!(
                "ApiKey realm=\"{}\", name=\"{}\", in=\"{}\"",
                auth::quote(realm),
                auth::quote(name),
                if header.is_some() { "header" } else { "query" },
            )],
            Self::Basic { realm, .. } => vec![format!(
                "Basic realm=\"{}\", charset=\"UTF-8\"",
                auth::quote(realm)
            )],
            Self::Digest {
                realm, nonce_key, ..
            } => {
                let nonce = issue_nonce(nonce_key, SystemTime::now());
                let stale = if rejection.stale { ", stale=true" } else { "" };
                // SHA-256 first: RFC 7616 §3.7 asks servers to list their preferred
                // algorithm first, and clients that only know MD5 pick the second.
                [DigestAlgorithm::Sha256, DigestAlgorithm::Md5]
                    .into_iter()
                    .map(|algorithm| {
                        format!(
                            "Digest realm=\"{}\", qop=\"auth\", algorithm={}, nonce=\"{nonce}\"{stale}",
                            auth::quote(realm),
                            algorithm.name(),
                        )
                    })
                    .collect()
            }
        }
    }
}

/// Renders one credential template; an empty value is an error, because no caller could be
/// told apart from one that sent nothing.
fn render(template: Template, binds: &BindValues, field: &str) -> Result<Secret, String> {
    let value = render_template(template, binds, &[])
        .map_err(|error| format!("failed to render authentication.{field}: {error}"))?;
    if value.is_empty() {
        return Err(format!("authentication.{field} is empty"));
    }
    Ok(Secret::new(value))
}

fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// Returns the credentials after `scheme` in the `Authorization` header, with the scheme
/// compared without regard to case (RFC 9110 §11.1).
fn credentials<'a>(request: &'a Request, scheme: &str) -> Option<&'a str> {
    let value = request.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (sent_scheme, rest) = value.trim_start().split_once(' ')?;
    if !sent_scheme.eq_ignore_ascii_case(scheme) {
        return None;
    }
    let rest = rest.trim();
    (!rest.is_empty()).then_some(rest)
}

/// Finds the query parameter `name` and returns its decoded value with the URI rebuilt
/// without it. Returns `None` when the parameter is absent or appears more than once, since
/// two keys leave it unclear which one the caller meant.
fn take_query_param(uri: &Uri, name: &str) -> Option<(String, Uri)> {
    let query = uri.query()?;
    let mut value = None;
    let mut kept = Vec::new();
    for pair in query.split('&') {
        let (raw_key, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        if decode_component(raw_key) == name {
            if value.is_some() {
                return None;
            }
            value = Some(decode_component(raw_value));
        } else {
            kept.push(pair);
        }
    }
    let value = value?;
    let path_and_query = if kept.is_empty() {
        uri.path().to_owned()
    } else {
        format!("{}?{}", uri.path(), kept.join("&"))
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(path_and_query.parse().ok()?);
    Some((value, Uri::from_parts(parts).ok()?))
}

/// Decodes one `application/x-www-form-urlencoded` component: `+` is a space.
fn decode_component(raw: &str) -> String {
    percent_decode_str(&raw.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// The outcome of checking a digest nonce.
#[derive(Debug, PartialEq, Eq)]
enum NonceCheck {
    Valid,
    Expired,
    Invalid,
}

/// Returns a nonce for `now`: 16 hex digits of the Unix time in seconds, then the hex
/// HMAC-SHA-256 of those 8 bytes keyed by `key`.
fn issue_nonce(key: &[u8; 32], now: SystemTime) -> String {
    let seconds = now
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    format!("{seconds:016x}{}", nonce_mac(key, seconds))
}

fn nonce_mac(key: &[u8; 32], seconds: u64) -> String {
    // HMAC accepts keys of any length, so this never fails.
    let Ok(mut mac) = <HmacSha256 as KeyInit>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(&seconds.to_be_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn check_nonce(key: &[u8; 32], nonce: &str, now: SystemTime) -> NonceCheck {
    let (Some(time_hex), Some(mac_hex)) = (nonce.get(..16), nonce.get(16..)) else {
        return NonceCheck::Invalid;
    };
    let Ok(seconds) = u64::from_str_radix(time_hex, 16) else {
        return NonceCheck::Invalid;
    };
    if !bool::from(nonce_mac(key, seconds).as_bytes().ct_eq(mac_hex.as_bytes())) {
        return NonceCheck::Invalid;
    }
    let issued = UNIX_EPOCH + Duration::from_secs(seconds);
    if issued > now + CLOCK_SKEW {
        return NonceCheck::Invalid;
    }
    match now.duration_since(issued) {
        Ok(age) if age > NONCE_LIFETIME => NonceCheck::Expired,
        _ => NonceCheck::Valid,
    }
}

/// The middleware: passes an authenticated request on, answers any other with a `401`.
async fn authenticate(
    State(guard): State<Arc<Guard>>,
    mut request: Request,
    next: Next,
) -> Response {
    let verifier = match &guard.verifier {
        Ok(Check::Static(verifier)) => verifier,
        Ok(Check::OAuth2(verifier)) => {
            if let Some(metadata) = verifier.metadata_response(&request) {
                return metadata;
            }
            return match verifier.check(&mut request).await {
                Ok(()) => next.run(request).await,
                Err(response) => response,
            };
        }
        Err(_) => {
            return error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "auth_misconfigured",
                "caller authentication of this adapter is misconfigured; see the server log",
            );
        }
    };
    let rejection = match verifier.verify(&mut request) {
        Ok(()) => return next.run(request).await,
        Err(rejection) => rejection,
    };
    // The path alone is logged: the query may contain an API key.
    tracing::info!(
        adapter = guard.adapter,
        method = %request.method(),
        path = request.uri().path(),
        reason = rejection.reason,
        "caller authentication failed"
    );
    let mut response = error_response(StatusCode::UNAUTHORIZED, "unauthorized", &rejection.message);
    for challenge in verifier.challenges(&rejection) {
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            response.headers_mut().append(WWW_AUTHENTICATE, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [7; 32];

    #[test]
    fn fresh_nonce_is_valid() {
        let now = SystemTime::now();
        let nonce = issue_nonce(&KEY, now);
        assert_eq!(nonce.len(), 80);
        assert_eq!(check_nonce(&KEY, &nonce, now), NonceCheck::Valid);
    }

    #[test]
    fn old_nonce_is_expired() {
        let now = SystemTime::now();
        let nonce = issue_nonce(&KEY, now - NONCE_LIFETIME - Duration::from_secs(1));
        assert_eq!(check_nonce(&KEY, &nonce, now), NonceCheck::Expired);
    }

    #[test]
    fn future_nonce_is_invalid() {
        let now = SystemTime::now();
        let nonce = issue_nonce(&KEY, now + CLOCK_SKEW + Duration::from_secs(5));
        assert_eq!(check_nonce(&KEY, &nonce, now), NonceCheck::Invalid);
    }

    #[test]
    fn nonce_under_other_key_is_invalid() {
        let now = SystemTime::now();
        let nonce = issue_nonce(&[8; 32], now);
        assert_eq!(check_nonce(&KEY, &nonce, now), NonceCheck::Invalid);
    }

    #[test]
    fn nonce_with_changed_time_is_invalid() {
        let now = SystemTime::now();
        let nonce = issue_nonce(&KEY, now - Duration::from_secs(600));
        let seconds = now
            .duration_since(UNIX_EPOCH)
            .map_or(0, |age| age.as_secs());
        let forged = format!("{seconds:016x}{}", &nonce[16..]);
        assert_eq!(check_nonce(&KEY, &forged, now), NonceCheck::Invalid);
    }

    #[test]
    fn malformed_nonces_are_invalid() {
        let now = SystemTime::now();
        for nonce in ["", "abc", "zzzzzzzzzzzzzzzz", "é0000000000000000000"] {
            assert_eq!(
                check_nonce(&KEY, nonce, now),
                NonceCheck::Invalid,
                "{nonce}"
            );
        }
    }

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let Ok(mut mac) = <HmacSha256 as KeyInit>::new_from_slice(b"Jefe") else {
            panic!("HMAC takes any key");
        };
        mac.update(b"what do ya want for nothing?");
        let hex: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn query_param_is_taken_out() {
        let uri: Uri = "/items?a=1&api_key=s%2Bcret&b=2"
            .parse()
            .expect("valid URI");
        let (value, stripped) = take_query_param(&uri, "api_key").expect("present");
        assert_eq!(value, "s+cret");
        assert_eq!(stripped, "/items?a=1&b=2");
    }

    #[test]
    fn only_query_param_leaves_no_query() {
        let uri: Uri = "/items?api_key=x".parse().expect("valid URI");
        let (_, stripped) = take_query_param(&uri, "api_key").expect("present");
        assert_eq!(stripped, "/items");
    }

    #[test]
    fn repeated_query_param_is_rejected() {
        let uri: Uri = "/items?api_key=x&api_key=y".parse().expect("valid URI");
        assert!(take_query_param(&uri, "api_key").is_none());
    }
}
