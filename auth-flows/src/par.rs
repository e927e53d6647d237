//! Pushed authorization requests (RFC 9126): the authorization request's parameters are
//! sent to the PAR endpoint, with the client authenticated as at the token endpoint, and
//! the browser gets only `client_id` and the `request_uri` the server answered.

use auth_core::{Endpoint, Error, FlowContext, Url};

use crate::client::{invalid_response, post_form, refused};

/// Pushes the parameters of `authorize_url` (an authorization request built as usual)
/// and returns the URL the browser opens: the authorization endpoint with `client_id` and
/// `request_uri` alone. A refusal is the server's OAuth error (RFC 9126 §2.3).
pub(crate) async fn push(ctx: &FlowContext, authorize_url: &Url) -> Result<Url, Error> {
    let endpoint = ctx
        .provider
        .endpoint(Endpoint::PushedAuthorization)?
        .clone();
    let client_id = ctx.credentials.client_id.clone().unwrap_or_default();
    // Every parameter, `client_id` included (RFC 9126 §2.1: the server checks it against
    // the authenticated client).
    let form: Vec<(String, String)> = authorize_url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let request_uri = post_form(
        &ctx.provider,
        &ctx.credentials,
        ctx.http.as_ref(),
        &endpoint,
        form,
        |response| {
            let status = response.status().as_u16();
            let body = response.body();
            if !(200..300).contains(&status) {
                return Err(refused(
                    &endpoint,
                    status,
                    body,
                    "the pushed authorization request endpoint refused the request",
                ));
            }
            serde_json::from_slice::<serde_json::Value>(body)
                .ok()
                .and_then(|v| v.get("request_uri")?.as_str().map(str::to_owned))
                .ok_or_else(|| {
                    invalid_response(&endpoint, status, body, "the answer has no request_uri")
                })
        },
    )
    .await?;
    let mut url = ctx.provider.endpoint(Endpoint::Authorize)?.clone();
    url.query_pairs_mut()
        .append_pair("client_id", &client_id)
        .append_pair("request_uri", &request_uri);
    Ok(url)
}
