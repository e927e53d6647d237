//! Encryption at rest: [`StoreKey`] and the sealed value format.
//!
//! A sealed value is `1 || nonce (24 bytes) || XChaCha20-Poly1305 ciphertext and tag`. The
//! nonce is random for every write (192 bits, so random nonces never repeat in practice);
//! the associated data is the Redis key the value is stored under, so a value copied to
//! another key does not decrypt.

use auth_core::{Error, Secret, Token};
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore as _;
use zeroize::Zeroizing;

/// The format byte that starts every sealed value.
const FORMAT: u8 = 1;
const NONCE_LEN: usize = 24;

/// How a person makes a key, for error messages.
pub(crate) const MAKE_A_KEY: &str = "make one with `head -c 32 /dev/urandom | base64` and give the same key to \
     every program sharing this Redis";

/// The 32-byte key that encrypts tokens at rest (XChaCha20-Poly1305).
///
/// `Debug` prints `StoreKey(***)`; the bytes are wiped on drop.
///
/// ```
/// use auth_core::Secret;
/// use auth_store::StoreKey;
///
/// // `head -c 32 /dev/urandom | base64` makes one
/// let key = StoreKey::from_base64(&Secret::new("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")).unwrap();
/// assert_eq!(format!("{key:?}"), "StoreKey(***)");
/// assert!(StoreKey::from_base64(&Secret::new("c2hvcnQ=")).is_err());
/// ```
#[derive(Clone)]
pub struct StoreKey(Zeroizing<[u8; 32]>);

impl StoreKey {
    /// A key from its 32 bytes.
    ///
    /// ```
    /// let key = auth_store::StoreKey::from_bytes([7; 32]);
    /// # drop(key);
    /// ```
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        StoreKey(Zeroizing::new(bytes))
    }

    /// A key from standard base64 (with or without padding, surrounding whitespace
    /// ignored) of exactly 32 bytes. The error says how to make a key and never shows the
    /// value.
    ///
    /// ```
    /// let text = auth_core::Secret::new("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n");
    /// assert!(auth_store::StoreKey::from_base64(&text).is_ok());
    /// ```
    pub fn from_base64(text: &Secret) -> Result<Self, Error> {
        let trimmed = text.expose().trim().trim_end_matches('=');
        let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(trimmed)
            .map_err(|_| bad_key("it is not base64"))?;
        let bytes = Zeroizing::new(bytes);
        let array: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| bad_key(&format!("it is {} bytes, not 32", bytes.len())))?;
        Ok(StoreKey::from_bytes(array))
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(&(*self.0).into())
    }
}

impl std::fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreKey(***)")
    }
}

fn bad_key(why: &str) -> Error {
    Error::store(
        "redis",
        format!("the store encryption key is unusable: {why}"),
        format!("the key is 32 random bytes in base64; {MAKE_A_KEY}"),
    )
}

/// Encrypts `token` for the Redis key `name`.
pub(crate) fn seal(key: &StoreKey, name: &str, token: &Token) -> Result<Vec<u8>, Error> {
    let mut nonce = [0u8; NONCE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let plain = Zeroizing::new(token.to_json().into_bytes());
    let sealed = key
        .cipher()
        .encrypt(
            &XNonce::from(nonce),
            Payload {
                msg: plain.as_slice(),
                aad: name.as_bytes(),
            },
        )
        .map_err(|_| Error::store("redis", format!("cannot encrypt the token for {name}"), ""))?;
    let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
    out.push(FORMAT);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Decrypts the value stored under the Redis key `name`.
pub(crate) fn open(key: &StoreKey, name: &str, value: &[u8]) -> Result<Token, Error> {
    let unreadable = |why: &str, hint: &str| {
        Error::store(
            "redis",
            format!("the value under {name} cannot be read: {why}"),
            hint.to_owned(),
        )
    };
    let (format, rest) = value
        .split_first()
        .ok_or_else(|| unreadable("it is empty", "delete it and log in again"))?;
    if *format != FORMAT || rest.len() < NONCE_LEN {
        return Err(unreadable(
            &format!("it is not in a format this version knows (format byte {format})"),
            "use a newer version of this program, or delete the value and log in again",
        ));
    }
    let (nonce, sealed) = rest.split_at(NONCE_LEN);
    let nonce = XNonce::try_from(nonce).map_err(|_| unreadable("bad nonce", ""))?;
    let plain = key
        .cipher()
        .decrypt(
            &nonce,
            Payload {
                msg: sealed,
                aad: name.as_bytes(),
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| {
            unreadable(
                "it does not decrypt with this store key (a different key, or the value was \
                 changed or copied from another key)",
                "use the key it was written with; nothing was changed, and deleting this \
                 token and logging in again replaces it",
            )
        })?;
    let text = std::str::from_utf8(plain.as_slice())
        .map_err(|_| unreadable("the decrypted token is not UTF-8", ""))?;
    Token::from_json(text).map_err(|e| unreadable(&e.to_string(), "delete it and log in again"))
}
