//! The tracing of compliance hooks, in a test binary of its own: `tracing` decides once per
//! process which call sites are wanted, so a capture is only reliable where every test
//! captures.
#![cfg(feature = "client-credentials")]

use std::sync::Arc;

use auth_flows::ClientCredentialsFlow;
use auth_store::MemoryStore;
use auth_testkit::TraceCapture;
use mockito::Matcher;

mod compliance_common;
use compliance_common::{Recorder, manager, provider};

#[test]
fn access_token_request_and_response_hooks() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let trace = TraceCapture::new();
    let recorder = Recorder::default();
    let (token, mut server) = trace.in_scope(|| {
        runtime.block_on(async {
            let mut server = mockito::Server::new_async().await;
            server
                .mock("POST", "/token")
                .match_body(Matcher::AllOf(vec![
                    Matcher::UrlEncoded("audience".into(), "https://api.example".into()),
                    Matcher::UrlEncoded("client_secret".into(), "the-client-secret".into()),
                ]))
                .with_header("content-type", "application/json")
                .with_body(r#"{"data":{"access_token":"wrapped","expires_in":60}}"#)
                .expect(1)
                .create_async()
                .await;
            let token = manager(
                provider(&server, &[]).with_hook(recorder.clone()),
                Arc::new(MemoryStore::new()),
            )
            .login(&ClientCredentialsFlow)
            .await
            .unwrap();
            (token, server)
        })
    });
    assert_eq!(token.access_token.expose(), "wrapped");
    server.reset();
    let seen = recorder.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(seen[0].starts_with("access_token_request"));
    assert!(
        seen[0].ends_with("secret=false"),
        "the hook runs before the client authenticates: {seen:?}"
    );
    assert!(!seen[0].contains("the-client-secret"));
    assert_eq!(seen[1], "access_token_response 200");
    let spans = trace.text();
    assert!(spans.contains("compliance_hook"), "{spans}");
    assert!(spans.contains("point=\"access_token_response\""), "{spans}");
    assert!(spans.contains("name=\"recorder\""), "{spans}");
    trace.assert_free_of(&["the-client-secret", "wrapped"]);
}
