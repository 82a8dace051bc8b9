//! Authentication of upstream calls: bearer, API key, basic and digest credentials,
//! rendered from bind variables for each call.
//!
//! Rendered credentials are kept in [`Secret`]s and header values marked sensitive, and no
//! error message contains them.

use std::fmt::Write as _;

use base64::Engine as _;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};
use sha2::Digest as _;

use crate::descriptor::{ApiKeyPlacement, Auth, Template};
use crate::secret::{BindValues, Secret};
use crate::upstream::render_template;

/// Credentials of one call, rendered from bind variables.
#[derive(Debug)]
pub(crate) enum Credentials {
    /// No authentication.
    None,
    /// A header sent with the first request: bearer, basic or an API key.
    Header(HeaderName, HeaderValue),
    /// An API key sent as a query parameter.
    Query {
        /// The query parameter name.
        name: &'static str,
        /// The key.
        value: Secret,
    },
    /// Digest credentials, used only when the upstream responds with a challenge.
    Digest {
        /// The user name.
        username: Secret,
        /// The password.
        password: Secret,
    },
}

impl Credentials {
    /// Renders the credentials of `auth` from the bind variables.
    ///
    /// Errors name the problem but never contain a rendered value.
    pub(crate) fn render(auth: Option<&Auth>, binds: &BindValues) -> Result<Self, String> {
        let Some(auth) = auth else {
            return Ok(Self::None);
        };
        match auth {
            Auth::Bearer { token } => {
                let token = render_secret(token, binds)?;
                let value = sensitive_header(&format!("Bearer {}", token.expose()))
                    .map_err(|()| "the bearer token contains characters invalid in a header")?;
                Ok(Self::Header(AUTHORIZATION, value))
            }
            Auth::ApiKey {
                name,
                value,
                placement,
            } => {
                let key = render_secret(value, binds)?;
                match placement {
                    ApiKeyPlacement::Query => Ok(Self::Query { name, value: key }),
                    ApiKeyPlacement::Header => {
                        let header_name = HeaderName::from_bytes(name.as_bytes())
                            .map_err(|_| format!("invalid API key header name `{name}`"))?;
                        let value = sensitive_header(key.expose()).map_err(|()| {
                            format!("the API key for header `{name}` contains characters invalid in a header")
                        })?;
                        Ok(Self::Header(header_name, value))
                    }
                }
            }
            Auth::Basic { username, password } => {
                let username = render_secret(username, binds)?;
                let password = render_secret(password, binds)?;
                // RFC 7617 §2: the user-id cannot contain a colon, because the first colon
                // separates it from the password.
                if username.expose().contains(':') {
                    return Err("the basic authentication user name contains `:`".to_owned());
                }
                let encoded = base64::engine::general_purpose::STANDARD.encode(format!(
                    "{}:{}",
                    username.expose(),
                    password.expose()
                ));
                let value = sensitive_header(&format!("Basic {encoded}"))
                    .map_err(|()| "the basic credentials are invalid in a header")?;
                Ok(Self::Header(AUTHORIZATION, value))
            }
            Auth::Digest { username, password } => Ok(Self::Digest {
                username: render_secret(username, binds)?,
                password: render_secret(password, binds)?,
            }),
        }
    }

    /// Adds the credential header, if any, to the first request's headers.
    pub(crate) fn apply_header(&self, headers: &mut HeaderMap) {
        if let Self::Header(name, value) = self {
            headers.insert(name.clone(), value.clone());
        }
    }
}

fn render_secret(template: Template, binds: &BindValues) -> Result<Secret, String> {
    render_template(template, binds, &[]).map(Secret::new)
}

/// Builds a header value marked sensitive. The error carries nothing, so no caller can
/// echo the value.
fn sensitive_header(text: &str) -> Result<HeaderValue, ()> {
    if text.contains(['\r', '\n']) {
        return Err(());
    }
    let mut value = HeaderValue::from_str(text).map_err(|_| ())?;
    value.set_sensitive(true);
    Ok(value)
}

/// A hash algorithm of HTTP digest authentication (RFC 7616 §3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DigestAlgorithm {
    /// `MD5`, the default when a challenge names none.
    Md5,
    /// `SHA-256`.
    Sha256,
}

impl DigestAlgorithm {
    pub(crate) fn hash(self, data: &[u8]) -> String {
        match self {
            Self::Md5 => hex(&md5::Md5::digest(data)),
            Self::Sha256 => hex(&sha2::Sha256::digest(data)),
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Md5 => "MD5",
            Self::Sha256 => "SHA-256",
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        // Writing to a String cannot fail.
        let _ = write!(text, "{byte:02x}");
    }
    text
}

/// The quality of protection that a digest response covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Qop {
    /// No `qop` in the challenge: the RFC 2069 response.
    None,
    /// `auth`: the method and URI.
    Auth,
    /// `auth-int`: the method, URI and a hash of the body.
    AuthInt,
}

/// A `Digest` challenge of a `WWW-Authenticate` header that this client supports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DigestChallenge {
    /// `realm`.
    pub realm: String,
    /// `nonce`.
    pub nonce: String,
    /// `opaque`, returned unchanged.
    pub opaque: Option<String>,
    /// The hash algorithm.
    pub algorithm: DigestAlgorithm,
    /// Whether the algorithm is a `-sess` variant.
    pub session: bool,
    /// The chosen quality of protection.
    pub qop: Qop,
    /// `userhash=true`: the user name is sent hashed.
    pub userhash: bool,
}

/// Returns the best `Digest` challenge of the `WWW-Authenticate` headers: SHA-256 before
/// MD5. Challenges with an unknown algorithm or only unknown `qop` values are skipped.
pub(crate) fn digest_challenge(headers: &HeaderMap) -> Option<DigestChallenge> {
    headers
        .get_all(reqwest::header::WWW_AUTHENTICATE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(parse_challenges)
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("digest"))
        .filter_map(|(_, params)| digest_from_params(&params))
        .max_by_key(|challenge| challenge.algorithm == DigestAlgorithm::Sha256)
}

fn digest_from_params(params: &[(String, String)]) -> Option<DigestChallenge> {
    let get = |key: &str| {
        params
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(key))
            .map(|(_, value)| value.as_str())
    };
    let (algorithm, session) = match get("algorithm").unwrap_or("MD5").to_ascii_uppercase() {
        name if name == "MD5" => (DigestAlgorithm::Md5, false),
        name if name == "MD5-SESS" => (DigestAlgorithm::Md5, true),
        name if name == "SHA-256" => (DigestAlgorithm::Sha256, false),
        name if name == "SHA-256-SESS" => (DigestAlgorithm::Sha256, true),
        _ => return None,
    };
    let qop = match get("qop") {
        None => Qop::None,
        Some(list) => {
            let offered: Vec<&str> = list.split(',').map(str::trim).collect();
            if offered.iter().any(|qop| qop.eq_ignore_ascii_case("auth")) {
                Qop::Auth
            } else if offered
                .iter()
                .any(|qop| qop.eq_ignore_ascii_case("auth-int"))
            {
                Qop::AuthInt
            } else {
                return None;
            }
        }
    };
    Some(DigestChallenge {
        realm: get("realm").unwrap_or_default().to_owned(),
        nonce: get("nonce")?.to_owned(),
        opaque: get("opaque").map(str::to_owned),
        algorithm,
        session,
        qop,
        userhash: get("userhash").is_some_and(|value| value.eq_ignore_ascii_case("true")),
    })
}

/// Splits a `WWW-Authenticate` value into challenges: a scheme and its `name=value`
/// parameters, with quoted strings unescaped. Token68 credentials (`Negotiate abc==`)
/// are skipped.
pub(crate) fn parse_challenges(header: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut challenges: Vec<(String, Vec<(String, String)>)> = Vec::new();
    let mut rest = header;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            return challenges;
        }
        let token_end = rest.find(['=', ',', ' ', '\t']).unwrap_or(rest.len());
        let token = &rest[..token_end];
        let after = rest[token_end..].trim_start_matches([' ', '\t']);
        let Some(value_text) = after.strip_prefix('=') else {
            // A token not followed by `=` starts a new challenge.
            challenges.push((token.to_owned(), Vec::new()));
            rest = after;
            continue;
        };
        let value_text = value_text.trim_start_matches([' ', '\t']);
        if token.is_empty() || value_text.is_empty() || value_text.starts_with([',', '=']) {
            // Token68 padding or an empty value: skip to the next comma.
            let end = value_text.find(',').unwrap_or(value_text.len());
            rest = &value_text[end..];
            continue;
        }
        let (value, remaining) = match value_text.strip_prefix('"') {
            Some(quoted) => quoted_string(quoted),
            None => {
                let end = value_text.find(',').unwrap_or(value_text.len());
                (value_text[..end].trim().to_owned(), &value_text[end..])
            }
        };
        if let Some((_, params)) = challenges.last_mut() {
            params.push((token.to_owned(), value));
        }
        rest = remaining;
    }
}

/// Reads a quoted string after its opening `"`, returning the unescaped text and the rest.
fn quoted_string(text: &str) -> (String, &str) {
    let mut value = String::new();
    let mut chars = text.char_indices();
    while let Some((index, c)) = chars.next() {
        match c {
            '"' => return (value, &text[index + 1..]),
            '\\' => {
                if let Some((_, escaped)) = chars.next() {
                    value.push(escaped);
                }
            }
            other => value.push(other),
        }
    }
    (value, "")
}

/// The inputs of one digest response computation.
#[derive(Debug)]
pub(crate) struct DigestRequest<'a> {
    /// The request method, in upper case.
    pub method: &'a str,
    /// The request target: path and query, as sent.
    pub uri: &'a str,
    /// The request body, hashed for `auth-int`.
    pub body: &'a [u8],
    /// The client nonce.
    pub cnonce: &'a str,
    /// The nonce count, starting at 1.
    pub nc: u32,
}

/// Computes the `response` value of RFC 7616 §3.4.1.
pub(crate) fn digest_response(
    challenge: &DigestChallenge,
    request: &DigestRequest<'_>,
    username: &str,
    password: &str,
) -> String {
    let hash = |text: &str| challenge.algorithm.hash(text.as_bytes());
    let mut ha1 = hash(&format!("{username}:{}:{password}", challenge.realm));
    if challenge.session {
        ha1 = hash(&format!("{ha1}:{}:{}", challenge.nonce, request.cnonce));
    }
    let ha2 = match challenge.qop {
        Qop::None | Qop::Auth => hash(&format!("{}:{}", request.method, request.uri)),
        Qop::AuthInt => {
            let body_hash = challenge.algorithm.hash(request.body);
            hash(&format!("{}:{}:{body_hash}", request.method, request.uri))
        }
    };
    match challenge.qop {
        Qop::None => hash(&format!("{ha1}:{}:{ha2}", challenge.nonce)),
        Qop::Auth | Qop::AuthInt => hash(&format!(
            "{ha1}:{}:{:08x}:{}:{}:{ha2}",
            challenge.nonce,
            request.nc,
            request.cnonce,
            qop_name(challenge.qop),
        )),
    }
}

fn qop_name(qop: Qop) -> &'static str {
    match qop {
        Qop::None => "",
        Qop::Auth => "auth",
        Qop::AuthInt => "auth-int",
    }
}

/// Characters that RFC 8187 `ext-value`s percent-encode: all but `attr-char`.
const EXT_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// Builds the `Authorization: Digest ...` header that responds to `challenge`, marked
/// sensitive. The error names the problem without any credential.
pub(crate) fn digest_authorization(
    challenge: &DigestChallenge,
    request: &DigestRequest<'_>,
    username: &str,
    password: &str,
) -> Result<HeaderValue, String> {
    let response = digest_response(challenge, request, username, password);
    let algorithm = match challenge.session {
        true => format!("{}-sess", challenge.algorithm.name()),
        false => challenge.algorithm.name().to_owned(),
    };

    let mut header = String::from("Digest ");
    if challenge.userhash {
        let hashed = challenge
            .algorithm
            .hash(format!("{username}:{}", challenge.realm).as_bytes());
        let _ = write!(header, "username=\"{hashed}\", userhash=true, ");
    } else if username.is_ascii() {
        let _ = write!(header, "username=\"{}\", ", quote(username));
    } else {
        // RFC 7616 §3.4.4: a user name outside ASCII is sent as an RFC 8187 ext-value.
        let encoded = utf8_percent_encode(username, EXT_VALUE);
        let _ = write!(header, "username*=UTF-8''{encoded}, ");
    }
    let _ = write!(
        header,
        "realm=\"{}\", uri=\"{}\", algorithm={algorithm}, nonce=\"{}\", response=\"{response}\"",
        quote(&challenge.realm),
        quote(request.uri),
        quote(&challenge.nonce),
    );
    if challenge.qop != Qop::None {
        let _ = write!(
            header,
            ", qop={}, nc={:08x}, cnonce=\"{}\"",
            qop_name(challenge.qop),
            request.nc,
            quote(request.cnonce)
        );
    }
    if let Some(opaque) = &challenge.opaque {
        let _ = write!(header, ", opaque=\"{}\"", quote(opaque));
    }
    sensitive_header(&header)
        .map_err(|()| "the digest credentials contain characters invalid in a header".to_owned())
}

/// Escapes `"` and `\` for a quoted string.
pub(crate) fn quote(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Returns a fresh client nonce: 16 random bytes as hex.
pub(crate) fn cnonce() -> Result<String, String> {
    let mut bytes = [0_u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|error| format!("failed to generate a digest client nonce: {error}"))?;
    Ok(hex(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::descriptor::TemplatePart;

    /// Returns the challenge of the example in RFC 7616 §3.9.1.
    fn rfc_challenge(algorithm: DigestAlgorithm) -> DigestChallenge {
        DigestChallenge {
            realm: "http-auth@example.org".to_owned(),
            nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v".to_owned(),
            opaque: Some("FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS".to_owned()),
            algorithm,
            session: false,
            qop: Qop::Auth,
            userhash: false,
        }
    }

    const RFC_REQUEST: DigestRequest<'static> = DigestRequest {
        method: "GET",
        uri: "/dir/index.html",
        body: b"",
        cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
        nc: 1,
    };

    #[test]
    fn digest_md5_matches_rfc_example() {
        let response = digest_response(
            &rfc_challenge(DigestAlgorithm::Md5),
            &RFC_REQUEST,
            "Mufasa",
            "Circle of Life",
        );
        assert_eq!(response, "8ca523f5e9506fed4657c9700eebdbec");
    }

    #[test]
    fn digest_sha256_matches_rfc_example() {
        let response = digest_response(
            &rfc_challenge(DigestAlgorithm::Sha256),
            &RFC_REQUEST,
            "Mufasa",
            "Circle of Life",
        );
        assert_eq!(
            response,
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
        );
    }

    #[test]
    fn digest_rfc2069_without_qop() {
        // RFC 2069: response = H(HA1:nonce:HA2), checked here against hashes computed by
        // hand from the same definitions.
        let mut challenge = rfc_challenge(DigestAlgorithm::Md5);
        challenge.qop = Qop::None;
        let ha1 = DigestAlgorithm::Md5.hash(b"Mufasa:http-auth@example.org:Circle of Life");
        let ha2 = DigestAlgorithm::Md5.hash(b"GET:/dir/index.html");
        let expected =
            DigestAlgorithm::Md5.hash(format!("{ha1}:{}:{ha2}", challenge.nonce).as_bytes());
        let response = digest_response(&challenge, &RFC_REQUEST, "Mufasa", "Circle of Life");
        assert_eq!(response, expected);
    }

    #[test]
    fn digest_session_hashes_nonces_into_ha1() {
        let mut challenge = rfc_challenge(DigestAlgorithm::Md5);
        challenge.session = true;
        let plain = digest_response(
            &rfc_challenge(DigestAlgorithm::Md5),
            &RFC_REQUEST,
            "Mufasa",
            "Circle of Life",
        );
        let session = digest_response(&challenge, &RFC_REQUEST, "Mufasa", "Circle of Life");
        assert_ne!(plain, session);
    }

    #[test]
    fn md5_of_empty_input() {
        assert_eq!(
            DigestAlgorithm::Md5.hash(b""),
            "d41d8cd98f00b204e9800998ecf8427e"
        );
    }

    #[test]
    fn parse_rfc_challenges() {
        let header = "Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", \
                      algorithm=SHA-256, nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", \
                      opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\", \
                      Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", \
                      algorithm=MD5, nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", \
                      opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"";
        let challenges = parse_challenges(header);
        assert_eq!(challenges.len(), 2);
        let mut headers = HeaderMap::new();
        headers.insert(
            reqwest::header::WWW_AUTHENTICATE,
            HeaderValue::from_static(header),
        );
        let chosen = digest_challenge(&headers).expect("a usable challenge");
        assert_eq!(chosen, rfc_challenge(DigestAlgorithm::Sha256));
    }

    #[test]
    fn parse_skips_other_schemes() {
        let header = "Basic realm=\"x\", Bearer, Negotiate abc==, Digest nonce=\"n\\\"1\", realm=r";
        let challenges = parse_challenges(header);
        let schemes: Vec<&str> = challenges
            .iter()
            .map(|(scheme, _)| scheme.as_str())
            .collect();
        assert_eq!(schemes, ["Basic", "Bearer", "Negotiate", "Digest"]);
        let mut headers = HeaderMap::new();
        headers.insert(
            reqwest::header::WWW_AUTHENTICATE,
            HeaderValue::from_static(header),
        );
        let chosen = digest_challenge(&headers).expect("a usable challenge");
        assert_eq!(chosen.nonce, "n\"1");
        assert_eq!(chosen.realm, "r");
        assert_eq!(chosen.algorithm, DigestAlgorithm::Md5);
        assert_eq!(chosen.qop, Qop::None);
    }

    #[test]
    fn parse_rejects_unknown_algorithm() {
        let mut headers = HeaderMap::new();
        headers.insert(
            reqwest::header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Digest realm=\"r\", nonce=\"n\", algorithm=SHA-512-256"),
        );
        assert_eq!(digest_challenge(&headers), None);
    }

    #[test]
    fn authorization_header_fields() {
        let challenge = rfc_challenge(DigestAlgorithm::Md5);
        let header = digest_authorization(&challenge, &RFC_REQUEST, "Mufasa", "Circle of Life")
            .expect("valid header");
        assert!(header.is_sensitive());
        let text = header.to_str().expect("ASCII header");
        assert_eq!(
            text,
            "Digest username=\"Mufasa\", realm=\"http-auth@example.org\", \
             uri=\"/dir/index.html\", algorithm=MD5, \
             nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", \
             response=\"8ca523f5e9506fed4657c9700eebdbec\", qop=auth, nc=00000001, \
             cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\", \
             opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\""
        );
    }

    #[test]
    fn cnonce_is_random_hex() {
        let first = cnonce().expect("random bytes");
        let second = cnonce().expect("random bytes");
        assert_eq!(first.len(), 32);
        assert_ne!(first, second);
    }

    #[test]
    fn basic_header_encodes_credentials() {
        static AUTH: Auth = Auth::Basic {
            username: &[TemplatePart::Literal("Aladdin")],
            password: &[TemplatePart::Literal("open sesame")],
        };
        let credentials =
            Credentials::render(Some(&AUTH), &BindValues::from_values(Vec::new())).expect("ok");
        let Credentials::Header(name, value) = credentials else {
            panic!("expected a header");
        };
        assert_eq!(name, AUTHORIZATION);
        // RFC 7617 §2 example.
        assert_eq!(value, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
        assert!(value.is_sensitive());
    }

    #[test]
    fn basic_rejects_colon_in_user_name() {
        static AUTH: Auth = Auth::Basic {
            username: &[TemplatePart::Bind(0)],
            password: &[],
        };
        let binds = BindValues::from_values(vec![Secret::new("user:secret-part")]);
        let error = Credentials::render(Some(&AUTH), &binds).expect_err("colon rejected");
        assert!(!error.contains("secret-part"), "{error}");
    }

    #[test]
    fn credentials_debug_hides_values() {
        static AUTH: Auth = Auth::Digest {
            username: &[TemplatePart::Bind(0)],
            password: &[TemplatePart::Bind(0)],
        };
        let binds = BindValues::from_values(vec![Secret::new("hidden-value")]);
        let credentials = Credentials::render(Some(&AUTH), &binds).expect("ok");
        let debug = format!("{credentials:?}");
        assert!(!debug.contains("hidden-value"), "{debug}");
    }
}
