//! The `HttpBackend` suite, run with each credential hook of this crate on every request:
//! the bearer hook (what `AuthorizedClient` adds) and the OAuth 1 signing wrapper. The
//! suite must pass unchanged: hooks never turn a rule of the policy off, and never send
//! credentials to another origin.

/// The bearer hook on every request, over the test kit's transport (the real policy).
#[cfg(feature = "oauth2")]
mod bearer {
    use std::sync::Arc;

    use auth_core::http::HopHooks;
    use auth_core::{
        Error, HttpBackend, HttpConfig, HttpRequest, HttpResponse, Secret, async_trait,
    };
    use auth_flows::BearerHook;
    use auth_testkit::LoopbackHttp;

    struct WithBearer(LoopbackHttp);

    #[async_trait]
    impl HttpBackend for WithBearer {
        async fn send(&self, mut request: HttpRequest) -> Result<HttpResponse, Error> {
            HopHooks::push(
                &mut request,
                Arc::new(BearerHook::new(Secret::new("Bearer suite-bearer-7d1f"))),
            );
            self.0.send(request).await
        }
    }

    fn make(config: HttpConfig) -> Arc<dyn HttpBackend> {
        Arc::new(WithBearer(LoopbackHttp::with_config(config)))
    }

    auth_testkit::http_backend_tests!(make);
}

/// Every request through `SigningBackend` (header placement).
#[cfg(feature = "oauth1")]
mod oauth1_signing {
    use std::sync::Arc;

    use auth_core::{HttpBackend, HttpConfig, Token};
    use auth_flows::oauth1::{Signer, SigningBackend};
    use auth_testkit::LoopbackHttp;

    fn make(config: HttpConfig) -> Arc<dyn HttpBackend> {
        let signer = Signer::new("dpf43f3p2l4k3l03", "kd94hf93k423kf44")
            .with_stored_token(&Token::oauth1("nnch734d00sl2jdk", "pfkkdhi9sl3r4s00"))
            .expect("a valid token");
        Arc::new(SigningBackend::new(
            LoopbackHttp::with_config(config),
            signer,
        ))
    }

    auth_testkit::http_backend_tests!(make);
}
