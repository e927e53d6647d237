//! What the compliance tests share: a provider on a local server, a token manager over a
//! memory store, and a hook that records what it saw.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use auth_core::hooks::{ComplianceHook, Quirk, TokenRequestParts, TokenResponseParts};
use auth_core::{
    ClientAuth, Credentials, Endpoint, Error, FlowContext, HttpBackend, HttpRequest, Provider,
    TokenKey,
};
use auth_flows::TokenManager;
use auth_store::MemoryStore;
use auth_testkit::LoopbackHttp;

pub(crate) fn key() -> TokenKey {
    TokenKey::new("quirky", "ana", "client")
}

pub(crate) fn provider(server: &mockito::ServerGuard, quirks: &[Quirk]) -> Provider {
    let mut p = Provider::new("quirky")
        .with_endpoint(Endpoint::Token, &format!("{}/token", server.url()))
        .unwrap();
    p.endpoints.api_base = Some(format!("{}/api/", server.url()).parse().unwrap());
    p.client_auth = ClientAuth::Body;
    p.quirks = quirks.to_vec();
    p
}

pub(crate) fn manager(provider: Provider, store: Arc<MemoryStore>) -> TokenManager {
    let http: Arc<dyn HttpBackend> = Arc::new(LoopbackHttp::default());
    let creds = Credentials {
        client_id: Some("client".into()),
        client_secret: Some("the-client-secret".into()),
        ..Default::default()
    };
    TokenManager::new(key(), store, FlowContext::new(provider, creds, http))
}

/// A hook written by a user, recording what it saw at each point.
#[derive(Clone, Default)]
pub(crate) struct Recorder {
    pub(crate) seen: Arc<Mutex<Vec<String>>>,
}

impl ComplianceHook for Recorder {
    fn name(&self) -> &str {
        "recorder"
    }
    fn access_token_request(&self, request: &mut TokenRequestParts) -> Result<(), Error> {
        self.seen.lock().unwrap().push(format!(
            "access_token_request {:?} secret={}",
            request.params,
            request.secret("client_secret").is_some()
        ));
        request.set_param("audience", "https://api.example");
        Ok(())
    }
    fn access_token_response(&self, response: &mut TokenResponseParts) -> Result<(), Error> {
        self.seen
            .lock()
            .unwrap()
            .push(format!("access_token_response {}", response.status));
        // a provider that wraps its answer in {"data": ...}
        let v: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
        response.body = serde_json::to_vec(&v["data"]).unwrap();
        Ok(())
    }
    fn refresh_token_request(&self, request: &mut TokenRequestParts) -> Result<(), Error> {
        let rt = request.secret("refresh_token").map(|s| format!("{s:?}"));
        self.seen
            .lock()
            .unwrap()
            .push(format!("refresh_token_request {rt:?}"));
        request.headers.insert("x-tenant", "blue".parse().unwrap());
        Ok(())
    }
    fn refresh_token_response(&self, response: &mut TokenResponseParts) -> Result<(), Error> {
        self.seen
            .lock()
            .unwrap()
            .push(format!("refresh_token_response {}", response.status));
        response.status = 200;
        Ok(())
    }
    fn protected_request(&self, request: &mut HttpRequest) -> Result<(), Error> {
        self.seen.lock().unwrap().push(format!(
            "protected_request auth={}",
            request.headers().contains_key("authorization")
        ));
        request
            .headers_mut()
            .insert("x-api-version", "2".parse().unwrap());
        Ok(())
    }
}
