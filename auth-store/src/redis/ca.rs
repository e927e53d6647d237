//! The CA certificate a [`RedisStore`](super::RedisStore) trusts for `rediss://` instead
//! of the system's roots, checked before it reaches the redis crate so that a bad one is a
//! clear error when the store is built.

use std::path::PathBuf;

use auth_core::Error;

/// Where the CA certificate that [`RedisStoreBuilder`](super::RedisStoreBuilder) trusts for `rediss://` comes from.
pub(crate) enum Ca {
    Pem(Vec<u8>),
    File(PathBuf),
}

impl Ca {
    /// The redis client for `info`, trusting `ca` when there is one (which needs a
    /// `rediss://` URL); `invalid` makes the error for a URL that is not usable.
    pub(crate) fn client(
        ca: Option<Ca>,
        info: redis::ConnectionInfo,
        invalid: &dyn Fn(String) -> Error,
    ) -> Result<redis::Client, Error> {
        match ca {
            None => redis::Client::open(info),
            Some(_) if !matches!(info.addr(), redis::ConnectionAddr::TcpTls { .. }) => {
                return Err(invalid(
                    "a CA certificate was given, but the URL is not rediss:// (TLS)".to_owned(),
                ));
            }
            Some(ca) => {
                let certificates = redis::TlsCertificates {
                    client_tls: None,
                    root_cert: Some(ca.pem()?),
                };
                redis::Client::build_with_tls(info, certificates)
            }
        }
        .map_err(|e| invalid(format!("{:?}", e.kind())))
    }

    /// Where the certificate comes from, for messages.
    pub(crate) fn source(&self) -> String {
        match self {
            Ca::Pem(_) => "the CA certificate given to the store".to_owned(),
            Ca::File(path) => format!("the CA certificate file {}", path.display()),
        }
    }

    /// The PEM text, checked to hold at least one certificate that parses.
    pub(crate) fn pem(self) -> Result<Vec<u8>, Error> {
        use rustls::pki_types::{CertificateDer, pem::PemObject as _};
        let source = self.source();
        let unusable = |why: String| {
            Error::store(
                "redis",
                format!("{source} is not usable: {why}"),
                "give the certificate (PEM, `-----BEGIN CERTIFICATE-----`) of the CA that \
                 signed the Redis server's certificate",
            )
        };
        let pem = match self {
            Ca::Pem(pem) => pem,
            Ca::File(path) => std::fs::read(&path).map_err(|e| unusable(e.to_string()))?,
        };
        let mut count = 0;
        for cert in CertificateDer::pem_slice_iter(&pem) {
            cert.map_err(|e| unusable(format!("its PEM does not parse ({e})")))?;
            count += 1;
        }
        if count == 0 {
            return Err(unusable("it holds no PEM certificate".to_owned()));
        }
        Ok(pem)
    }
}
