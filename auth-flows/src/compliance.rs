//! Running a provider's compliance hooks ([`auth_core::hooks`]) at the five points, and
//! the [`Quirk`] fixes built on them.
//!
//! The token request and response points are called by the token request adapter
//! (`client.rs`), the one path every token and refresh request takes; the protected
//! request point by [`AuthorizedClient`](crate::AuthorizedClient). Hooks run in order:
//! the quirks' hooks in the order the provider lists its quirks, then the provider's own
//! hooks in the order they were added. Each call has a `compliance_hook` span (debug) with
//! the hook's `name` and the `point`; no field carries the request or response.
//!
//! # The quirks
//!
//! Each fix does what requests-oauthlib's compliance fix of the same name does, with two
//! decisions of our own:
//!
//! - **mailchimp**: `expires_in: 0` means the token does not expire. Mailchimp documents
//!   that its access tokens never expire and it issues no refresh token, so any finite
//!   lifetime (requests-oauthlib picks 3600 s) would send the person back to the browser
//!   every hour for a token that still works. The fix removes the `0`, which leaves the
//!   lifetime unknown; the token is kept until the API refuses it.
//! - **douban**: the token goes in the `Authorization` header. requests-oauthlib meant to
//!   put it in the query, but a typo (`session._client_default_token_placement`) keeps it
//!   in the header. Douban's own API guide says to send the token as a header, and a token
//!   in a URL ends up in server and proxy logs, so the header it is.

use std::sync::Arc;

use auth_core::hooks::{ComplianceHook, HookPoint, Quirk, TokenRequestParts, TokenResponseParts};
use auth_core::{Error, HttpRequest, Provider};
use serde_json::{Map, Value};

/// The hooks of a provider, in the order they run: its quirks', then its own.
fn hooks_of(provider: &Provider) -> Vec<Arc<dyn ComplianceHook>> {
    provider
        .quirks
        .iter()
        .map(|q| Arc::new(QuirkFix(*q)) as Arc<dyn ComplianceHook>)
        .chain(provider.hooks.iter().cloned())
        .collect()
}

/// Whether the provider has any hook at all (the flows skip building parts otherwise).
pub(crate) fn has_hooks(provider: &Provider) -> bool {
    !provider.quirks.is_empty() || !provider.hooks.is_empty()
}

fn run<T: ?Sized>(
    provider: &Provider,
    point: HookPoint,
    target: &mut T,
    call: impl Fn(&dyn ComplianceHook, &mut T) -> Result<(), Error>,
) -> Result<(), Error> {
    for hook in hooks_of(provider) {
        let span = tracing::debug_span!(
            "compliance_hook",
            name = hook.name(),
            point = point.as_str()
        );
        let _entered = span.enter();
        call(hook.as_ref(), target)?;
    }
    Ok(())
}

/// Runs the request hooks of `point` (access or refresh) on a token request.
pub(crate) fn token_request(
    provider: &Provider,
    point: HookPoint,
    parts: &mut TokenRequestParts,
) -> Result<(), Error> {
    run(provider, point, parts, |hook, parts| match point {
        HookPoint::RefreshTokenRequest => hook.refresh_token_request(parts),
        _ => hook.access_token_request(parts),
    })
}

/// Runs the response hooks that answer the request point `point` on a token response.
pub(crate) fn token_response(
    provider: &Provider,
    point: HookPoint,
    parts: &mut TokenResponseParts,
) -> Result<(), Error> {
    let Some(point) = point.response() else {
        return Ok(());
    };
    run(provider, point, parts, |hook, parts| match point {
        HookPoint::RefreshTokenResponse => hook.refresh_token_response(parts),
        _ => hook.access_token_response(parts),
    })
}

/// Runs the protected-request hooks on an API request, before the token is attached.
pub(crate) fn protected_request(
    provider: &Provider,
    request: &mut HttpRequest,
) -> Result<(), Error> {
    run(
        provider,
        HookPoint::ProtectedRequest,
        request,
        |hook, request| hook.protected_request(request),
    )
}

/// A [`Quirk`] as a hook. The token placement part of a quirk is not here: it is the
/// provider's [`TokenPlacement`](auth_core::hooks::TokenPlacement), which
/// `Provider::token_placement` takes from the quirks.
struct QuirkFix(Quirk);

impl ComplianceHook for QuirkFix {
    fn name(&self) -> &str {
        self.0.as_str()
    }

    fn access_token_response(&self, response: &mut TokenResponseParts) -> Result<(), Error> {
        match self.0 {
            Quirk::Facebook => facebook(response),
            Quirk::Fitbit => edit_json(response, fitbit_errors),
            Quirk::Mailchimp => edit_json(response, mailchimp),
            Quirk::Weibo | Quirk::Douban => edit_json(response, bearer_when_missing),
            Quirk::Plentymarkets => plentymarkets(response),
            Quirk::Ebay => edit_json(response, ebay_token_type),
            // Slack and Instagram only place the token (see `Quirk::token_placement`).
            _ => {}
        }
        Ok(())
    }

    fn refresh_token_response(&self, response: &mut TokenResponseParts) -> Result<(), Error> {
        match self.0 {
            Quirk::Fitbit => edit_json(response, fitbit_errors),
            Quirk::Ebay => edit_json(response, ebay_token_type),
            _ => {}
        }
        Ok(())
    }
}

/// Applies `edit` to a JSON object body and writes it back; any other body is left as it
/// is (the parser then reports it).
fn edit_json(response: &mut TokenResponseParts, edit: fn(&mut Map<String, Value>)) {
    let Ok(Value::Object(mut map)) = serde_json::from_slice::<Value>(&response.body) else {
        return;
    };
    edit(&mut map);
    if let Ok(body) = serde_json::to_vec(&Value::Object(map)) {
        response.body = body;
    }
}

/// Facebook answers a successful token request with a form-encoded body labelled
/// `text/plain`, and calls the lifetime `expires`.
fn facebook(response: &mut TokenResponseParts) {
    let content_type = response.content_type().unwrap_or_default();
    if content_type == "application/json" || content_type != "text/plain" || response.status != 200
    {
        return;
    }
    let mut map: Map<String, Value> = form_urlencoded::parse(&response.body)
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect();
    if let Some(expires) = map.get("expires").cloned() {
        map.insert("expires_in".into(), expires);
    }
    map.insert("token_type".into(), Value::String("Bearer".into()));
    if let Ok(body) = serde_json::to_vec(&Value::Object(map)) {
        response.body = body;
        response.headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
    }
}

/// Fitbit's `{"errors": [{"errorType": ..., "message": ...}]}` becomes an RFC 6749 error.
fn fitbit_errors(map: &mut Map<String, Value>) {
    if map.contains_key("error") {
        return;
    }
    let Some(first) = map
        .get("errors")
        .and_then(Value::as_array)
        .and_then(|errors| errors.first())
        .cloned()
    else {
        return;
    };
    if let Some(kind) = first.get("errorType").and_then(Value::as_str) {
        map.insert("error".into(), Value::String(kind.to_owned()));
        if let Some(message) = first.get("message").and_then(Value::as_str) {
            map.entry("error_description")
                .or_insert_with(|| Value::String(message.to_owned()));
        }
    }
}

/// Mailchimp's `"scope": null` is dropped, and `expires_in: 0` (a token that does not
/// expire) is removed, leaving the lifetime unknown (see the module docs).
fn mailchimp(map: &mut Map<String, Value>) {
    if map.get("scope").is_some_and(Value::is_null) {
        map.remove("scope");
    }
    if map
        .get("expires_in")
        .is_some_and(|v| v.as_u64() == Some(0) || v.as_str() == Some("0"))
    {
        map.remove("expires_in");
    }
}

/// Weibo and Douban leave out `token_type`.
fn bearer_when_missing(map: &mut Map<String, Value>) {
    map.entry("token_type")
        .or_insert_with(|| Value::String("Bearer".into()));
}

/// eBay's token types are names of its own for bearer tokens.
fn ebay_token_type(map: &mut Map<String, Value>) {
    if matches!(
        map.get("token_type").and_then(Value::as_str),
        Some("Application Access Token" | "User Access Token")
    ) {
        map.insert("token_type".into(), Value::String("Bearer".into()));
    }
}

/// plentymarkets answers a successful token request in camelCase (`accessToken`).
fn plentymarkets(response: &mut TokenResponseParts) {
    if response.status != 200 || response.content_type().as_deref() != Some("application/json") {
        return;
    }
    edit_json(response, |map| {
        *map = std::mem::take(map)
            .into_iter()
            .map(|(k, v)| (snake_case(&k), v))
            .collect();
    });
}

/// `accessToken` → `access_token`: an underscore before each capital that starts a
/// lowercase run (as requests-oauthlib's `(.)([A-Z][a-z]+)` rule), then lowercase.
fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in chars.iter().enumerate() {
        let starts_word = i > 0
            && c.is_ascii_uppercase()
            && chars.get(i + 1).is_some_and(char::is_ascii_lowercase)
            && chars[i - 1] != '_';
        if starts_word {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_follows_the_requests_oauthlib_rule() {
        assert_eq!(snake_case("accessToken"), "access_token");
        assert_eq!(snake_case("expiresIn"), "expires_in");
        assert_eq!(snake_case("refreshToken"), "refresh_token");
        assert_eq!(snake_case("token_type"), "token_type");
        assert_eq!(snake_case("tokenType"), "token_type");
        assert_eq!(snake_case("ID"), "id");
    }

    #[test]
    fn fitbit_keeps_a_real_error_and_ignores_odd_shapes() {
        let mut map: Map<String, Value> =
            serde_json::from_str(r#"{"error":"invalid_grant","errors":[{"errorType":"x"}]}"#)
                .unwrap();
        fitbit_errors(&mut map);
        assert_eq!(map["error"], "invalid_grant");
        for odd in [
            r#"{"errors":[]}"#,
            r#"{"errors":"x"}"#,
            r#"{"errors":[{"errorType":7}]}"#,
        ] {
            let mut map: Map<String, Value> = serde_json::from_str(odd).unwrap();
            fitbit_errors(&mut map);
            assert!(!map.contains_key("error"), "{odd}");
        }
    }
}
