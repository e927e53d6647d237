//! Every backend runs the same `auth_testkit::http_backend_tests!` suite, one named test
//! per case (`cargo test -p auth-http --test conformance ureq::redirect_limits`), each
//! built with only its own feature (`--no-default-features --features ureq`, and
//! `reqwest`).

#[cfg(feature = "ureq")]
mod ureq {
    use std::sync::Arc;

    use auth_core::HttpBackend;

    auth_testkit::http_backend_tests!(|config| {
        Arc::new(auth_http::UreqBackend::new(config).expect("the ureq backend builds"))
            as Arc<dyn HttpBackend>
    });
}

#[cfg(feature = "ureq")]
mod ureq_with_own_agent {
    use std::sync::Arc;

    use auth_core::HttpBackend;

    // An agent that would follow redirects and turn 4xx into errors: the backend
    // overrides both per request, so the suite still passes.
    auth_testkit::http_backend_tests!(|config| {
        let agent: ::ureq::Agent = ::ureq::Agent::config_builder()
            .max_redirects(10)
            .http_status_as_error(true)
            .build()
            .into();
        Arc::new(
            auth_http::UreqBackend::with_agent(agent, config).expect("the ureq backend builds"),
        ) as Arc<dyn HttpBackend>
    });
}

#[cfg(feature = "reqwest")]
mod reqwest {
    use std::sync::Arc;

    use auth_core::HttpBackend;

    auth_testkit::http_backend_tests!(|config| {
        Arc::new(auth_http::ReqwestBackend::new(config).expect("the reqwest backend builds"))
            as Arc<dyn HttpBackend>
    });
}

/// A request with `?code=SECRET` to a refused port: the error names the host and the
/// cause and never the code, for each backend.
#[cfg(any(feature = "ureq", feature = "reqwest"))]
mod secret_free_errors {
    use std::sync::Arc;

    use auth_core::{Error, HttpBackend, HttpConfig, TransportErrorKind};

    fn backends(config: HttpConfig) -> Vec<Arc<dyn HttpBackend>> {
        [ureq(&config), reqwest(&config)]
            .into_iter()
            .flatten()
            .collect()
    }

    #[cfg(feature = "ureq")]
    fn ureq(config: &HttpConfig) -> Option<Arc<dyn HttpBackend>> {
        Some(Arc::new(
            auth_http::UreqBackend::new(config.clone()).unwrap(),
        ))
    }

    #[cfg(not(feature = "ureq"))]
    fn ureq(_: &HttpConfig) -> Option<Arc<dyn HttpBackend>> {
        None
    }

    #[cfg(feature = "reqwest")]
    fn reqwest(config: &HttpConfig) -> Option<Arc<dyn HttpBackend>> {
        Some(Arc::new(
            auth_http::ReqwestBackend::new(config.clone()).unwrap(),
        ))
    }

    #[cfg(not(feature = "reqwest"))]
    fn reqwest(_: &HttpConfig) -> Option<Arc<dyn HttpBackend>> {
        None
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        #[cfg(feature = "reqwest")]
        {
            tokio_runtime().block_on(future)
        }
        #[cfg(not(feature = "reqwest"))]
        {
            pollster::block_on(future)
        }
    }

    #[cfg(feature = "reqwest")]
    fn tokio_runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn refused_connection_error_lacks_the_code() {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let mut config = HttpConfig::default();
        config.max_retries = 0;
        for backend in backends(config) {
            let request =
                http::Request::get(format!("http://127.0.0.1:{port}/cb?code=SECRET&state=abc"))
                    .body(Vec::new())
                    .unwrap();
            let err = block_on(backend.send(request)).unwrap_err();
            let display = err.to_string();
            assert!(!display.contains("SECRET"), "{display}");
            assert!(!format!("{err:?}").contains("SECRET"), "{err:?}");
            assert!(display.contains(&format!("127.0.0.1:{port}")), "{display}");
            assert!(display.contains("connection refused"), "{display}");
            assert!(
                matches!(
                    err,
                    Error::Transport {
                        kind: TransportErrorKind::ConnectionRefused,
                        ..
                    }
                ),
                "{err:?}"
            );
        }
    }

    #[test]
    fn relative_and_odd_scheme_urls_are_clear_errors() {
        for backend in backends(HttpConfig::default()) {
            let relative = http::Request::get("/only/a/path").body(Vec::new()).unwrap();
            let err = block_on(backend.send(relative)).unwrap_err();
            assert!(matches!(err, Error::Config { .. }), "{err:?}");
            assert!(err.to_string().contains("not absolute"), "{err}");

            let ftp = http::Request::get("ftp://files.example/x")
                .body(Vec::new())
                .unwrap();
            let err = block_on(backend.send(ftp)).unwrap_err();
            assert!(err.to_string().contains("use https"), "{err}");
        }
    }
}
