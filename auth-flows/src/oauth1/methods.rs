//! The signature methods (RFC 5849 §3.4): HMAC-SHA1/256/512, RSA-SHA1/256/512 and
//! PLAINTEXT, the RSA key they use, and the body hash that follows the method's hash.

use std::fmt;
use std::str::FromStr;

use auth_core::{Error, Secret};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use rsa::pkcs1::DecodeRsaPrivateKey as _;
use rsa::pkcs8::DecodePrivateKey as _;
use rsa::traits::PublicKeyParts as _;
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use super::encoding::encode_into;
use super::error::SignError;

/// How a request is signed (RFC 5849 §3.4, plus the SHA-2 variants most providers
/// and oauthlib accept).
///
/// ```
/// use auth_flows::oauth1::SignatureMethod;
/// let m: SignatureMethod = "rsa-sha256".parse().unwrap();
/// assert_eq!(m, SignatureMethod::RsaSha256);
/// assert_eq!(m.to_string(), "RSA-SHA256");
/// assert_eq!(SignatureMethod::default(), SignatureMethod::HmacSha1);
/// assert!("MD5".parse::<SignatureMethod>().is_err());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignatureMethod {
    /// HMAC with SHA-1, keyed with the consumer and token secrets (the default).
    #[default]
    HmacSha1,
    /// HMAC with SHA-256.
    HmacSha256,
    /// HMAC with SHA-512.
    HmacSha512,
    /// RSASSA-PKCS1-v1_5 with SHA-1, with the consumer's RSA private key.
    RsaSha1,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RsaSha256,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RsaSha512,
    /// The secrets themselves as the signature; only safe over TLS.
    Plaintext,
}

impl SignatureMethod {
    /// Every method.
    pub const ALL: [SignatureMethod; 7] = [
        Self::HmacSha1,
        Self::HmacSha256,
        Self::HmacSha512,
        Self::RsaSha1,
        Self::RsaSha256,
        Self::RsaSha512,
        Self::Plaintext,
    ];

    /// The `oauth_signature_method` value, e.g. `HMAC-SHA1`.
    ///
    /// ```
    /// assert_eq!(auth_flows::oauth1::SignatureMethod::Plaintext.as_str(), "PLAINTEXT");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HmacSha1 => "HMAC-SHA1",
            Self::HmacSha256 => "HMAC-SHA256",
            Self::HmacSha512 => "HMAC-SHA512",
            Self::RsaSha1 => "RSA-SHA1",
            Self::RsaSha256 => "RSA-SHA256",
            Self::RsaSha512 => "RSA-SHA512",
            Self::Plaintext => "PLAINTEXT",
        }
    }

    /// True for the RSA methods, which need an [`RsaKey`] instead of a consumer secret.
    ///
    /// ```
    /// assert!(auth_flows::oauth1::SignatureMethod::RsaSha1.is_rsa());
    /// ```
    pub fn is_rsa(self) -> bool {
        matches!(self, Self::RsaSha1 | Self::RsaSha256 | Self::RsaSha512)
    }
}

impl fmt::Display for SignatureMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SignatureMethod {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                Error::config(format!(
                    "signature_method must be one of {}, not {s:?}",
                    Self::ALL.map(Self::as_str).join(", ")
                ))
            })
    }
}

/// An RSA private key for the `RSA-*` methods, read from PEM (PKCS#1 or PKCS#8).
///
/// `Debug` shows only the key size.
///
/// ```no_run
/// use auth_flows::oauth1::RsaKey;
/// let pem = std::fs::read_to_string("consumer-key.pem").unwrap();
/// let key = RsaKey::from_pem(&pem).unwrap();
/// println!("{key:?}"); // RsaKey { bits: 2048, .. }
/// ```
#[derive(Clone)]
pub struct RsaKey {
    key: RsaPrivateKey,
}

impl RsaKey {
    /// Reads an unencrypted PEM private key: `BEGIN RSA PRIVATE KEY` (PKCS#1) or
    /// `BEGIN PRIVATE KEY` (PKCS#8). Errors never contain key material.
    ///
    /// ```
    /// use auth_flows::oauth1::{RsaKey, SignError};
    /// let err = RsaKey::from_pem("-----BEGIN PUBLIC KEY-----\n...").unwrap_err();
    /// assert!(err.to_string().contains("public key"));
    /// ```
    pub fn from_pem(pem: &str) -> Result<RsaKey, SignError> {
        let invalid = |problem: String| SignError::InvalidKey { problem };
        let key = if let Some(block) = pem_block(pem, "RSA PRIVATE KEY") {
            RsaPrivateKey::from_pkcs1_pem(block)
                .map_err(|e| invalid(format!("the PKCS#1 key could not be read ({e})")))?
        } else if let Some(block) = pem_block(pem, "PRIVATE KEY") {
            RsaPrivateKey::from_pkcs8_pem(block)
                .map_err(|e| invalid(format!("the PKCS#8 key could not be read ({e})")))?
        } else if pem.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
            return Err(invalid(
                "the key is encrypted; decrypt it first (openssl pkcs8 -in key.pem -out plain.pem)"
                    .into(),
            ));
        } else if pem.contains("PUBLIC KEY-----") {
            return Err(invalid(
                "this is a public key, and signing needs the private key".into(),
            ));
        } else {
            return Err(invalid("no PEM private key block was found".into()));
        };
        Ok(RsaKey { key })
    }

    /// The modulus size in bits.
    ///
    /// ```no_run
    /// let pem = std::fs::read_to_string("consumer-key.pem").unwrap();
    /// let key = auth_flows::oauth1::RsaKey::from_pem(&pem).unwrap();
    /// assert!(key.bits() >= 2048, "use a key of at least 2048 bits");
    /// ```
    pub fn bits(&self) -> usize {
        self.key.size() * 8
    }
}

/// The `-----BEGIN <label>-----` ... `-----END <label>-----` block of a PEM file that may
/// hold other blocks too (a certificate, parameters).
fn pem_block<'a>(pem: &'a str, label: &str) -> Option<&'a str> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem.find(&begin)?;
    let stop = pem[start..].find(&end)? + start + end.len();
    Some(&pem[start..stop])
}

impl fmt::Debug for RsaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RsaKey")
            .field("bits", &self.bits())
            .finish_non_exhaustive()
    }
}

/// The secrets a signature is made with, lent by the [`Signer`](super::Signer).
pub(super) struct SigningKeys<'a> {
    pub(super) consumer_secret: &'a Secret,
    pub(super) token_secret: &'a Secret,
    pub(super) rsa_key: Option<&'a RsaKey>,
    /// The HMAC keyed with these secrets, for the HMAC methods.
    pub(super) mac: &'a KeyedMac,
}

/// An HMAC already keyed with `encode(consumer_secret) & encode(token_secret)` (RFC 5849
/// §3.4.2): the [`Signer`](super::Signer) keys it when its secrets or method change, and
/// each signature starts from a copy, so the key is not encoded and hashed into the
/// inner and outer pads again for every request.
///
/// The keyed state stands for the secrets (it can make signatures), so it has no `Debug`,
/// and dropping it overwrites it with the state of an empty key.
#[derive(Clone, Default)]
pub(super) enum KeyedMac {
    /// Not an HMAC method.
    #[default]
    None,
    Sha1(Hmac<Sha1>),
    Sha256(Hmac<Sha256>),
    Sha512(Hmac<Sha512>),
}

impl KeyedMac {
    /// The HMAC of `method` keyed with `consumer_secret` and `token_secret` ([`KeyedMac::None`]
    /// for the other methods).
    pub(super) fn new(
        method: SignatureMethod,
        consumer_secret: &Secret,
        token_secret: &Secret,
    ) -> Self {
        if !matches!(
            method,
            SignatureMethod::HmacSha1 | SignatureMethod::HmacSha256 | SignatureMethod::HmacSha512
        ) {
            return KeyedMac::None;
        }
        let key = hmac_key(consumer_secret, token_secret);
        let key = key.expose().as_bytes();
        let keyed = match method {
            SignatureMethod::HmacSha1 => Hmac::new_from_slice(key).map(KeyedMac::Sha1),
            SignatureMethod::HmacSha256 => Hmac::new_from_slice(key).map(KeyedMac::Sha256),
            _ => Hmac::new_from_slice(key).map(KeyedMac::Sha512),
        };
        keyed.unwrap_or_default()
    }
}

impl Drop for KeyedMac {
    fn drop(&mut self) {
        // Overwrite the keyed state in place (assigning another variant would leave its
        // bytes behind); `black_box` keeps the stores from being optimised away.
        match self {
            KeyedMac::None => {}
            KeyedMac::Sha1(mac) => blank(mac),
            KeyedMac::Sha256(mac) => blank(mac),
            KeyedMac::Sha512(mac) => blank(mac),
        }
        std::hint::black_box(&*self);
    }
}

/// Overwrites `mac` with the HMAC of an empty key.
fn blank<M: Mac + hmac::digest::KeyInit>(mac: &mut M) {
    if let Ok(empty) = <M as Mac>::new_from_slice(&[]) {
        *mac = empty;
    }
}

impl SignatureMethod {
    /// Signs the bytes of a signature base string and appends the `oauth_signature` value (base64, or
    /// the key itself for PLAINTEXT) to `out`.
    pub(super) fn sign_into(
        self,
        keys: &SigningKeys<'_>,
        data: &[u8],
        out: &mut String,
    ) -> Result<(), SignError> {
        match (self, keys.mac) {
            (SignatureMethod::HmacSha1, KeyedMac::Sha1(mac)) => {
                push_base64(out, &finish(mac, data))
            }
            (SignatureMethod::HmacSha256, KeyedMac::Sha256(mac)) => {
                push_base64(out, &finish(mac, data))
            }
            (SignatureMethod::HmacSha512, KeyedMac::Sha512(mac)) => {
                push_base64(out, &finish(mac, data))
            }
            (
                SignatureMethod::HmacSha1
                | SignatureMethod::HmacSha256
                | SignatureMethod::HmacSha512,
                _,
            ) => {
                return Err(SignError::InvalidRequest {
                    problem: "the HMAC key was refused".into(),
                });
            }
            (SignatureMethod::RsaSha1, _) => BASE64.encode_string(
                self.rsa(keys, Pkcs1v15Sign::new::<Sha1>(), &Sha1::digest(data))?,
                out,
            ),
            (SignatureMethod::RsaSha256, _) => BASE64.encode_string(
                self.rsa(keys, Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(data))?,
                out,
            ),
            (SignatureMethod::RsaSha512, _) => BASE64.encode_string(
                self.rsa(keys, Pkcs1v15Sign::new::<Sha512>(), &Sha512::digest(data))?,
                out,
            ),
            (SignatureMethod::Plaintext, _) => {
                out.push_str(hmac_key(keys.consumer_secret, keys.token_secret).expose());
            }
        }
        Ok(())
    }

    /// The `oauth_body_hash` of a body, with this method's hash function (SHA-1 for the
    /// `*-SHA1` methods and PLAINTEXT).
    pub(super) fn body_hash(self, body: &[u8]) -> String {
        match self {
            SignatureMethod::HmacSha256 | SignatureMethod::RsaSha256 => {
                BASE64.encode(Sha256::digest(body))
            }
            SignatureMethod::HmacSha512 | SignatureMethod::RsaSha512 => {
                BASE64.encode(Sha512::digest(body))
            }
            _ => BASE64.encode(Sha1::digest(body)),
        }
    }

    fn rsa(
        self,
        keys: &SigningKeys<'_>,
        padding: Pkcs1v15Sign,
        digest: &[u8],
    ) -> Result<Vec<u8>, SignError> {
        let key = keys.rsa_key.ok_or_else(|| SignError::InvalidKey {
            problem: format!(
                "the {self} signature method needs the consumer's RSA private key, and none was \
                 given (rsa_key_file)"
            ),
        })?;
        key.key
            .sign_with_rng(&mut rand::thread_rng(), padding, digest)
            .map_err(|e| SignError::InvalidKey {
                problem: format!("signing failed ({e})"),
            })
    }
}

/// `encode(consumer_secret) & encode(token_secret)` (RFC 5849 §3.4.2).
fn hmac_key(consumer_secret: &Secret, token_secret: &Secret) -> Secret {
    let (consumer, token) = (consumer_secret.expose(), token_secret.expose());
    let mut key = String::with_capacity(3 * (consumer.len() + token.len()) + 1);
    encode_into(&mut key, consumer);
    key.push('&');
    encode_into(&mut key, token);
    Secret::new(key)
}

/// Appends the base64 of a MAC (at most 64 bytes) to `out`, through a buffer on the
/// stack.
fn push_base64(out: &mut String, mac: &[u8]) {
    let mut buf = [0u8; 88];
    match BASE64.encode_slice(mac, &mut buf) {
        Ok(len) => out.push_str(std::str::from_utf8(&buf[..len]).unwrap_or_default()),
        Err(_) => BASE64.encode_string(mac, out),
    }
}

/// The MAC of `data` from a copy of the keyed `mac`.
fn finish<M: Mac + Clone>(mac: &M, data: &[u8]) -> hmac::digest::Output<M> {
    let mut mac = mac.clone();
    mac.update(data);
    mac.finalize().into_bytes()
}
