//! Resolving `authentication: {type: oauth2}` on an adapter: the adapter is an OAuth 2.0
//! resource server that verifies the access tokens of an external authorization server.

use super::*;

impl Resolver<'_> {
    /// Resolves the resource-server form of oauth2; `mcp` requires `resource`, which the
    /// MCP adapter publishes in its protected-resource metadata. `None` on an error.
    pub(super) fn oauth2_caller_auth(
        &mut self,
        auth: &model::Authentication,
        namespace: &str,
        mcp: bool,
    ) -> Option<CallerAuth> {
        let validation = self.token_validation(auth);
        let issuer = self.oauth2_issuer(auth, namespace);
        let resource = match &auth.resource {
            Some(resource) => Some(self.oauth2_url(resource, namespace, "resource")?),
            None if mcp => {
                self.diagnostics
                    .error(
                        auth.pos,
                        format!("oauth2 on MCP adapter `{namespace}` has no `resource`"),
                    )
                    .hint(
                        "add `resource:` with the URL clients use for this MCP endpoint, \
                         such as `https://mcp.example.com/mcp`",
                    );
                return None;
            }
            None => None,
        };
        let audience = match &auth.audience {
            Some(audience) => Some(self.template(
                audience,
                &format!("exposes `{namespace}` authentication.audience"),
                None,
            )?),
            None => resource.clone(),
        };
        let mut scopes = Vec::with_capacity(auth.scopes.len());
        for scope in &auth.scopes {
            scopes.push(self.oauth2_scope(scope, namespace)?);
        }
        if let Some(endpoint) = &auth.token_endpoint {
            self.diagnostics
                .warning(
                    endpoint.pos,
                    "`tokenEndpoint` is not used: the adapter only verifies tokens",
                )
                .hint("clients find the token endpoint in the issuer's metadata; remove it");
        }
        Some(CallerAuth::OAuth2 {
            issuer: issuer?,
            audience,
            resource,
            scopes,
            validation: validation?,
        })
    }

    fn token_validation(&mut self, auth: &model::Authentication) -> Option<TokenValidation> {
        let Some(text) = &auth.token_validation else {
            return Some(TokenValidation::Jwks);
        };
        match text.value.as_str() {
            "jwks" => Some(TokenValidation::Jwks),
            "introspection" => {
                self.diagnostics
                    .error(
                        text.pos,
                        "tokenValidation `introspection` is not yet supported",
                    )
                    .hint(
                        "use `jwks`: the adapter then verifies JWT access tokens with the \
                         keys the issuer publishes",
                    );
                None
            }
            other => {
                self.diagnostics
                    .error(text.pos, format!("unknown tokenValidation `{other}`"))
                    .hint("use `jwks` (the default) or `introspection`");
                None
            }
        }
    }

    fn oauth2_issuer(
        &mut self,
        auth: &model::Authentication,
        namespace: &str,
    ) -> Option<Vec<TemplatePart>> {
        let Some(issuer) = &auth.authorization_server_uri else {
            let hint = if auth.token.is_some() {
                "add `authorizationServerUri:` with the issuer URL of the tokens, or write \
                 `type: bearer` to accept one fixed `token`"
            } else {
                "add `authorizationServerUri:` with the issuer URL of the tokens, such as \
                 `https://auth.example.com`"
            };
            self.diagnostics
                .error(
                    auth.pos,
                    format!("oauth2 on adapter `{namespace}` has no `authorizationServerUri`"),
                )
                .hint(hint);
            return None;
        };
        self.oauth2_url(issuer, namespace, "authorizationServerUri")
    }

    /// Resolves a URL field; one without bind variables must be an http or https URL.
    fn oauth2_url(
        &mut self,
        text: &Text,
        namespace: &str,
        field: &str,
    ) -> Option<Vec<TemplatePart>> {
        let used_by = format!("exposes `{namespace}` authentication.{field}");
        let parts = self.template(text, &used_by, None)?;
        if let Some(url) = literal(&parts) {
            let host = url
                .strip_prefix("https://")
                .or_else(|| url.strip_prefix("http://"))
                .and_then(|rest| rest.split(['/', '?', '#']).next());
            if host.is_none_or(str::is_empty) {
                self.diagnostics
                    .error(
                        text.pos,
                        format!("{field} `{url}` is not an http or https URL"),
                    )
                    .hint("write an absolute URL, such as `https://auth.example.com`");
                return None;
            }
        }
        Some(parts)
    }

    fn oauth2_scope(&mut self, scope: &Text, namespace: &str) -> Option<Vec<TemplatePart>> {
        let used_by = format!("exposes `{namespace}` authentication.scopes");
        let parts = self.template(scope, &used_by, None)?;
        // RFC 6749 §3.3: a scope token has no spaces, quotes or backslashes.
        let invalid = literal(&parts).is_some_and(|scope| {
            scope.is_empty() || scope.chars().any(|c| c <= ' ' || matches!(c, '"' | '\\'))
        });
        if invalid {
            self.diagnostics
                .error(
                    scope.pos,
                    format!("scope `{}` is not a single scope token", scope.value),
                )
                .hint("list each scope on its own line; a scope has no spaces, `\"` or `\\`");
            return None;
        }
        Some(parts)
    }
}

/// Returns the text of a template without bind variables.
fn literal(parts: &[TemplatePart]) -> Option<String> {
    parts
        .iter()
        .map(|part| match part {
            TemplatePart::Literal(text) => Some(text.as_str()),
            _ => None,
        })
        .collect()
}
