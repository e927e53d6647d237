//! Signed JWTs a client sends about itself or its subject (RFC 7523): the client
//! assertion of `client_secret_jwt` (HS256 with the client secret) and `private_key_jwt`
//! (RS256, PS256 or ES256 with the client's private key). Built with `jsonwebtoken`, the
//! one JOSE crate of the workspace, on its pure-Rust backend.
//!
//! Private keys and secrets are only ever held as [`Secret`]s and never reach an error:
//! a key that cannot be read is reported by its kind, not its text.

use std::time::{SystemTime, UNIX_EPOCH};

use auth_core::{ClientKey, Error, Secret};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

/// How long an assertion is valid: short, it is used at once.
const LIFETIME_SECS: u64 = 60;

/// The claims of an RFC 7523 assertion (§3): `iss`, `sub`, `aud`, `exp`, `iat` and a
/// unique `jti`, plus `scope` where the grant carries it in the JWT (Google).
#[derive(Debug, Serialize, PartialEq, Eq)]
pub(crate) struct AssertionClaims {
    pub(crate) iss: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) sub: Option<String>,
    pub(crate) aud: String,
    pub(crate) exp: u64,
    pub(crate) iat: u64,
    pub(crate) jti: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) scope: Option<String>,
}

impl AssertionClaims {
    /// Sets the `scope` claim (Google's JWT bearer grant carries the scopes there).
    #[cfg(feature = "jwt-bearer")]
    pub(crate) fn with_scope(mut self, scope: Option<String>) -> AssertionClaims {
        self.scope = scope;
        self
    }

    /// Claims issued now, expiring in a minute, with a random `jti`.
    pub(crate) fn new(iss: &str, sub: Option<&str>, aud: &str) -> AssertionClaims {
        let iat = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        AssertionClaims {
            iss: iss.to_owned(),
            sub: sub.map(str::to_owned),
            aud: aud.to_owned(),
            exp: iat + LIFETIME_SECS,
            iat,
            jti: random_id(),
            scope: None,
        }
    }
}

/// 128 random bits, base64url: a `jti` no two assertions share.
fn random_id() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A signing key read from PEM text, with the algorithm it signs with.
pub(crate) struct SigningKey {
    key: EncodingKey,
    alg: Algorithm,
    kid: Option<String>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Reads an RSA key (PKCS#8 or PKCS#1) or a P-256 key (PKCS#8 or SEC1) and picks
    /// its algorithm from `allowed` (the server's advertised algorithms; empty when
    /// unknown): a P-256 key signs with ES256; an RSA key with RS256, or PS256 when the
    /// server lists PS256 and not RS256. A key whose algorithms the server does not list
    /// is an error naming what it accepts.
    pub(crate) fn from_pem(key: &ClientKey, allowed: &[String]) -> Result<SigningKey, Error> {
        let pem = key.pem.expose();
        let kid = key.key_id.clone();
        let has = |a: &str| allowed.is_empty() || allowed.iter().any(|x| x == a);
        let pick = |key: EncodingKey, candidates: &[Algorithm]| {
            candidates
                .iter()
                .find(|a| has(&format!("{a:?}")))
                .map(|alg| SigningKey {
                    key,
                    alg: *alg,
                    kid: kid.clone(),
                })
                .ok_or_else(|| {
                    Error::config(format!(
                        "the server accepts client assertions signed with {} only, which this key \
                         cannot make (it can: {}); use a key of one of those kinds",
                        allowed.join(", "),
                        candidates
                            .iter()
                            .map(|a| format!("{a:?}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })
        };
        if pem.contains("BEGIN EC PRIVATE KEY") {
            use p256::pkcs8::EncodePrivateKey;
            let secret = p256::SecretKey::from_sec1_pem(pem).map_err(|_| unreadable("EC"))?;
            let der = secret.to_pkcs8_der().map_err(|_| unreadable("EC"))?;
            return pick(
                EncodingKey::from_ec_der(der.as_bytes()),
                &[Algorithm::ES256],
            );
        }
        if let Ok(rsa) = EncodingKey::from_rsa_pem(pem.as_bytes()) {
            return pick(rsa, &[Algorithm::RS256, Algorithm::PS256]);
        }
        let ec =
            EncodingKey::from_ec_pem(pem.as_bytes()).map_err(|_| unreadable("RSA or P-256"))?;
        pick(ec, &[Algorithm::ES256])
    }

    /// The algorithm the key signs with (`RS256`, `PS256` or `ES256`).
    #[cfg(test)]
    pub(crate) fn algorithm(&self) -> String {
        format!("{:?}", self.alg)
    }

    /// Signs `claims` into a compact JWS.
    pub(crate) fn sign(&self, claims: &AssertionClaims) -> Result<Secret, Error> {
        let mut header = Header::new(self.alg);
        header.kid = self.kid.clone();
        header.typ = Some("JWT".into());
        jsonwebtoken::encode(&header, claims, &self.key)
            .map(Secret::new)
            .map_err(|e| {
                Error::config(format!(
                    "the assertion could not be signed: {}",
                    e.kind_name()
                ))
            })
    }
}

trait KindName {
    fn kind_name(&self) -> String;
}

impl KindName for jsonwebtoken::errors::Error {
    /// The error's kind only: its message could quote key material.
    fn kind_name(&self) -> String {
        let kind = format!("{:?}", self.kind());
        kind.split('(').next().unwrap_or_default().to_owned()
    }
}

fn unreadable(kind: &str) -> Error {
    Error::config(format!(
        "the key is not a readable {kind} private key in PEM form (PKCS#8, PKCS#1 or SEC1); \
         check the key file"
    ))
}

/// The `client_assertion` of `client_secret_jwt`: HS256 over the claims with the secret.
pub(crate) fn secret_jwt(claims: &AssertionClaims, secret: &Secret) -> Result<Secret, Error> {
    let key = EncodingKey::from_secret(secret.expose().as_bytes());
    let mut header = Header::new(Algorithm::HS256);
    header.typ = Some("JWT".into());
    jsonwebtoken::encode(&header, claims, &key)
        .map(Secret::new)
        .map_err(|e| {
            Error::config(format!(
                "the assertion could not be signed: {}",
                e.kind_name()
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_follow_rfc_7523_and_jti_is_unique() {
        let a = AssertionClaims::new("client", Some("client"), "https://as.example/token");
        let b = AssertionClaims::new("client", Some("client"), "https://as.example/token");
        assert_ne!(a.jti, b.jti);
        assert!(a.exp > a.iat && a.exp - a.iat <= 300);
        let json = serde_json::to_value(&a).unwrap();
        for claim in ["iss", "sub", "aud", "exp", "iat", "jti"] {
            assert!(json.get(claim).is_some(), "{claim} missing");
        }
        assert!(json.get("scope").is_none());
    }

    #[test]
    fn the_algorithm_comes_from_the_key_and_the_servers_list() {
        use p256::pkcs8::{EncodePrivateKey, LineEnding};
        let secret = p256::SecretKey::random(&mut rand::rngs::OsRng);
        let pem = secret.to_pkcs8_pem(LineEnding::LF).unwrap();
        let key = ClientKey::new(pem.as_str());
        let list = |algs: &[&str]| algs.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            SigningKey::from_pem(&key, &[]).unwrap().algorithm(),
            "ES256"
        );
        assert_eq!(
            SigningKey::from_pem(&key, &list(&["RS256", "ES256"]))
                .unwrap()
                .algorithm(),
            "ES256"
        );
        let err = SigningKey::from_pem(&key, &list(&["RS256", "PS256"]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("RS256, PS256") && err.contains("ES256"),
            "{err}"
        );
        assert!(!err.contains(pem.as_str()));
    }

    #[test]
    fn an_unreadable_key_is_named_without_its_text() {
        let key = ClientKey::new(
            "-----BEGIN PRIVATE KEY-----\nTOPSECRETBYTES\n-----END PRIVATE KEY-----\n",
        );
        let err = SigningKey::from_pem(&key, &[]).unwrap_err().to_string();
        assert!(err.contains("PEM"), "{err}");
        assert!(!err.contains("TOPSECRET"), "{err}");
    }
}
