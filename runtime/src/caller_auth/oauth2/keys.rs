//! The issuer's signing keys: found through its metadata, fetched, cached and refreshed.
//!
//! The first token fetches the metadata document and then the key set. The set is fetched
//! again when it is older than [`MAX_KEY_AGE`] or when a token names a key it lacks. No
//! fetch starts sooner than [`MIN_FETCH_INTERVAL`] after the previous attempt, so a flood
//! of tokens with made-up key ids costs the authorization server at most one fetch per
//! interval. When a refresh fails, the keys already cached stay in use.

use std::str::FromStr;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Header};
use reqwest::Url;
use serde_json::Value;

use crate::upstream::http_client;

/// The minimum time between two fetches of the key set.
pub const MIN_FETCH_INTERVAL: Duration = Duration::from_secs(10);

/// The age after which the key set is fetched again even if every token finds its key, so
/// a key that the issuer revoked stops verifying.
pub const MAX_KEY_AGE: Duration = Duration::from_secs(15 * 60);

/// The time limit of each metadata or key set request.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// The largest metadata document or key set read, so a broken server cannot fill memory.
const MAX_DOCUMENT_BYTES: usize = 1 << 20;

/// One verification key of the set.
pub(super) struct VerificationKey {
    kid: Option<String>,
    /// The JWS algorithms the key may verify: those of its key type, narrowed to its `alg`
    /// when the JWK names one.
    algorithms: Vec<Algorithm>,
    pub key: DecodingKey,
}

/// The keys of one fetch and when they were fetched.
struct KeySet {
    keys: Vec<Arc<VerificationKey>>,
    fetched: Instant,
}

/// The reason no key was found for a token.
pub(super) enum KeyError {
    /// The set contains no key with the token's `kid` that allows its `alg`.
    Unknown,
    /// No key set could be fetched yet.
    Unavailable,
}

/// The state of fetching, behind one lock so that only one fetch runs at a time.
#[derive(Default)]
struct Fetcher {
    /// The `jwks_uri` of the issuer's metadata, once found.
    jwks_uri: Option<Url>,
    last_attempt: Option<Instant>,
}

/// The cached key set of one issuer.
pub(super) struct KeyStore {
    issuer: Url,
    keys: RwLock<Option<Arc<KeySet>>>,
    fetcher: tokio::sync::Mutex<Fetcher>,
    http: OnceLock<reqwest::Client>,
}

impl KeyStore {
    pub(super) fn new(issuer: Url) -> Self {
        Self {
            issuer,
            keys: RwLock::new(None),
            fetcher: tokio::sync::Mutex::new(Fetcher::default()),
            http: OnceLock::new(),
        }
    }

    /// Returns the key that should verify a token with `header`, fetching the key set when
    /// it is missing, old, or lacks the token's key.
    pub(super) async fn key_for(&self, header: &Header) -> Result<Arc<VerificationKey>, KeyError> {
        if let Some(key) = self.fresh_key(header) {
            return Ok(key);
        }
        let mut fetcher = self.fetcher.lock().await;
        // Another request may have fetched the set while this one waited for the lock.
        if let Some(key) = self.fresh_key(header) {
            return Ok(key);
        }
        let now = Instant::now();
        let due = fetcher
            .last_attempt
            .is_none_or(|last| now.duration_since(last) >= MIN_FETCH_INTERVAL);
        if due {
            fetcher.last_attempt = Some(now);
            self.refresh(&mut fetcher).await;
        }
        drop(fetcher);
        match self.cached() {
            None => Err(KeyError::Unavailable),
            Some(set) => set.find(header).ok_or(KeyError::Unknown),
        }
    }

    fn cached(&self) -> Option<Arc<KeySet>> {
        match self.keys.read() {
            Ok(keys) => keys.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn fresh_key(&self, header: &Header) -> Option<Arc<VerificationKey>> {
        let set = self.cached()?;
        if set.fetched.elapsed() >= MAX_KEY_AGE {
            return None;
        }
        set.find(header)
    }

    /// Fetches the key set and stores it, or logs why that failed.
    async fn refresh(&self, fetcher: &mut Fetcher) {
        match self.fetch(fetcher).await {
            Ok(keys) => {
                tracing::info!(
                    issuer = %self.issuer,
                    keys = keys.len(),
                    "fetched the authorization server's signing keys"
                );
                let set = Arc::new(KeySet {
                    keys,
                    fetched: Instant::now(),
                });
                match self.keys.write() {
                    Ok(mut slot) => *slot = Some(set),
                    Err(poisoned) => *poisoned.into_inner() = Some(set),
                }
            }
            Err(error) => {
                tracing::error!(
                    issuer = %self.issuer,
                    %error,
                    retry_after_seconds = MIN_FETCH_INTERVAL.as_secs(),
                    "failed to fetch the authorization server's signing keys"
                );
            }
        }
    }

    async fn fetch(&self, fetcher: &mut Fetcher) -> Result<Vec<Arc<VerificationKey>>, String> {
        let http = self.http()?;
        let jwks_uri = match &fetcher.jwks_uri {
            Some(uri) => uri.clone(),
            None => {
                let uri = self.discover(&http).await?;
                fetcher.jwks_uri = Some(uri.clone());
                uri
            }
        };
        let keys = get_json(&http, &jwks_uri)
            .await
            .and_then(|set| parse_keys(&set));
        if keys.is_err() {
            // The metadata may have moved the key set, so the next attempt reads it again.
            fetcher.jwks_uri = None;
        }
        keys
    }

    fn http(&self) -> Result<reqwest::Client, String> {
        if let Some(http) = self.http.get() {
            return Ok(http.clone());
        }
        let http = http_client(FETCH_TIMEOUT, CONNECT_TIMEOUT)
            .map_err(|error| format!("failed to build the HTTP client: {error}"))?;
        Ok(self.http.get_or_init(|| http).clone())
    }

    /// Reads the issuer's metadata and returns its `jwks_uri`.
    async fn discover(&self, http: &reqwest::Client) -> Result<Url, String> {
        let mut failures = Vec::new();
        for url in metadata_urls(&self.issuer) {
            match get_json(http, &url)
                .await
                .and_then(|doc| self.jwks_uri(&doc))
            {
                Ok(jwks_uri) => return Ok(jwks_uri),
                Err(error) => failures.push(error),
            }
        }
        Err(format!(
            "no metadata of issuer {} names a key set: {}",
            self.issuer,
            failures.join("; ")
        ))
    }

    fn jwks_uri(&self, metadata: &Value) -> Result<Url, String> {
        // RFC 8414 §3.3: metadata that names another issuer must not be used, because its
        // author could substitute their own keys.
        let issuer = metadata.get("issuer").and_then(Value::as_str);
        if issuer != Some(self.issuer.as_str()) && issuer != Some(issuer_text(&self.issuer)) {
            return Err(format!(
                "the metadata names issuer {issuer:?}, not {}",
                self.issuer
            ));
        }
        let jwks_uri = metadata
            .get("jwks_uri")
            .and_then(Value::as_str)
            .ok_or("the metadata has no jwks_uri")?;
        Url::parse(jwks_uri).map_err(|error| format!("invalid jwks_uri `{jwks_uri}`: {error}"))
    }
}

impl KeySet {
    /// Finds the key for a token: the one with the token's `kid`, or without a `kid` the
    /// only key that allows the token's `alg`.
    fn find(&self, header: &Header) -> Option<Arc<VerificationKey>> {
        let mut candidates = self
            .keys
            .iter()
            .filter(|key| key.algorithms.contains(&header.alg))
            .filter(|key| header.kid.is_none() || key.kid == header.kid);
        let key = candidates.next()?;
        if header.kid.is_none() && candidates.next().is_some() {
            return None;
        }
        Some(Arc::clone(key))
    }
}

/// Returns the issuer as written, without the `/` that URL parsing adds to a bare host.
fn issuer_text(issuer: &Url) -> &str {
    let text = issuer.as_str();
    if issuer.path() == "/" && issuer.query().is_none() {
        text.trim_end_matches('/')
    } else {
        text
    }
}

/// Returns the metadata URLs to try, in order: RFC 8414 §3.1 puts the well-known segment
/// before the issuer's path, some servers append it instead, and OpenID Connect Discovery
/// 1.0 §4 appends `openid-configuration`.
fn metadata_urls(issuer: &Url) -> Vec<Url> {
    let origin = issuer.origin().ascii_serialization();
    let path = issuer.path().trim_end_matches('/');
    let mut urls = vec![format!(
        "{origin}/.well-known/oauth-authorization-server{path}"
    )];
    if !path.is_empty() {
        urls.push(format!(
            "{origin}{path}/.well-known/oauth-authorization-server"
        ));
    }
    urls.push(format!("{origin}{path}/.well-known/openid-configuration"));
    urls.iter().filter_map(|url| Url::parse(url).ok()).collect()
}

/// Fetches `url` and parses its body as JSON.
async fn get_json(http: &reqwest::Client, url: &Url) -> Result<Value, String> {
    let response = http
        .get(url.clone())
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|error| format!("GET {url} failed: {error}"))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("GET {url} returned {status}"));
    }
    if response
        .content_length()
        .is_some_and(|length| length > MAX_DOCUMENT_BYTES as u64)
    {
        return Err(format!(
            "GET {url} returned more than {MAX_DOCUMENT_BYTES} bytes"
        ));
    }
    let body = response
        .bytes()
        .await
        .map_err(|error| format!("GET {url} failed while reading the body: {error}"))?;
    if body.len() > MAX_DOCUMENT_BYTES {
        return Err(format!(
            "GET {url} returned more than {MAX_DOCUMENT_BYTES} bytes"
        ));
    }
    serde_json::from_slice(&body)
        .map_err(|error| format!("GET {url} returned invalid JSON: {error}"))
}

/// Reads the signature keys of a JWK Set (RFC 7517 §5). Keys of unknown types, encryption
/// keys and symmetric keys are skipped: a published set must never make a token signed
/// with a shared secret valid.
fn parse_keys(set: &Value) -> Result<Vec<Arc<VerificationKey>>, String> {
    let entries = set
        .get("keys")
        .and_then(Value::as_array)
        .ok_or("the key set has no `keys` array")?;
    let keys: Vec<Arc<VerificationKey>> = entries
        .iter()
        .filter_map(|entry| serde_json::from_value::<Jwk>(entry.clone()).ok())
        .filter_map(|jwk| verification_key(&jwk))
        .map(Arc::new)
        .collect();
    if keys.is_empty() {
        return Err("the key set has no usable signature key".to_owned());
    }
    Ok(keys)
}

fn verification_key(jwk: &Jwk) -> Option<VerificationKey> {
    if matches!(
        jwk.common.public_key_use,
        Some(PublicKeyUse::Encryption | PublicKeyUse::Other(_))
    ) {
        return None;
    }
    let mut algorithms: Vec<Algorithm> = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => vec![
            Algorithm::RS256,
            Algorithm::RS384,
            Algorithm::RS512,
            Algorithm::PS256,
            Algorithm::PS384,
            Algorithm::PS512,
        ],
        AlgorithmParameters::EllipticCurve(params) => match params.curve {
            EllipticCurve::P256 => vec![Algorithm::ES256],
            EllipticCurve::P384 => vec![Algorithm::ES384],
            _ => return None,
        },
        AlgorithmParameters::OctetKeyPair(params) if params.curve == EllipticCurve::Ed25519 => {
            vec![Algorithm::EdDSA]
        }
        _ => return None,
    };
    if let Some(declared) = jwk.common.key_algorithm {
        let declared = Algorithm::from_str(&declared.to_string()).ok()?;
        algorithms.retain(|algorithm| *algorithm == declared);
    }
    if algorithms.is_empty() {
        return None;
    }
    Some(VerificationKey {
        kid: jwk.common.key_id.clone(),
        algorithms,
        key: DecodingKey::from_jwk(jwk).ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn url(text: &str) -> Url {
        Url::parse(text).expect("valid URL")
    }

    #[test]
    fn metadata_urls_of_bare_issuer() {
        let urls: Vec<String> = metadata_urls(&url("https://as.example.com"))
            .iter()
            .map(Url::to_string)
            .collect();
        assert_eq!(
            urls,
            [
                "https://as.example.com/.well-known/oauth-authorization-server",
                "https://as.example.com/.well-known/openid-configuration",
            ]
        );
    }

    #[test]
    fn metadata_urls_of_issuer_with_path() {
        let urls: Vec<String> = metadata_urls(&url("https://kc.example.com/realms/mcp/"))
            .iter()
            .map(Url::to_string)
            .collect();
        assert_eq!(
            urls,
            [
                "https://kc.example.com/.well-known/oauth-authorization-server/realms/mcp",
                "https://kc.example.com/realms/mcp/.well-known/oauth-authorization-server",
                "https://kc.example.com/realms/mcp/.well-known/openid-configuration",
            ]
        );
    }

    #[test]
    fn symmetric_and_encryption_keys_skipped() {
        let set = json!({"keys": [
            {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"},
            {"kty": "EC", "crv": "P-256", "use": "enc", "kid": "enc",
             "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
             "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
            {"kty": "EC", "crv": "P-256", "kid": "sig",
             "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
             "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
            {"kty": "unknown"}
        ]});
        let keys = parse_keys(&set).expect("one usable key");
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].kid.as_deref(), Some("sig"));
        assert_eq!(keys[0].algorithms, [Algorithm::ES256]);
    }

    #[test]
    fn set_without_signature_keys_rejected() {
        let set = json!({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]});
        assert!(parse_keys(&set).is_err());
        assert!(parse_keys(&json!({})).is_err());
    }

    #[test]
    fn key_without_kid_needs_a_single_candidate() {
        let key = |kid: &str| {
            Arc::new(VerificationKey {
                kid: Some(kid.to_owned()),
                algorithms: vec![Algorithm::ES256],
                key: DecodingKey::from_ec_components(
                    "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
                    "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
                )
                .expect("valid point"),
            })
        };
        let one = KeySet {
            keys: vec![key("a")],
            fetched: Instant::now(),
        };
        let two = KeySet {
            keys: vec![key("a"), key("b")],
            fetched: Instant::now(),
        };
        let mut header = Header::new(Algorithm::ES256);
        assert!(one.find(&header).is_some());
        assert!(two.find(&header).is_none());
        header.kid = Some("b".to_owned());
        assert!(two.find(&header).is_some());
        header.alg = Algorithm::RS256;
        assert!(two.find(&header).is_none());
    }
}
