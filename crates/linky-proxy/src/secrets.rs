//! Random secrets and their hashes.

use sha2::{Digest, Sha256};

/// 32 random bytes from the system generator, as 64 hex characters (256 bits: device codes,
/// states, access and refresh tokens).
pub fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    fill(&mut bytes);
    hex(&bytes)
}

fn fill(bytes: &mut [u8]) {
    // Without the system generator no secret can be made safely: stop rather than degrade.
    if let Err(e) = getrandom::fill(bytes) {
        panic!(
            "the system random generator failed ({e}); linky-proxy cannot make secrets without it"
        );
    }
}

fn hex(bytes: &[u8]) -> String {
    // Once per proxied call (the token's hash): no formatting machinery, one allocation.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// SHA-256 of a secret, hex: what storage keeps instead of the secret.
pub fn hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// Consonants only: no vowel (no words), no I/O/U/Y confusion with digits or each other
/// (RFC 8628 §6.1 suggests this kind of alphabet).
pub const USER_CODE_ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";

/// A user code `XXXX-XXXX` (20^8 ≈ 2.6 × 10^10 values; guesses are rate-limited).
pub fn user_code() -> String {
    let mut out = String::with_capacity(9);
    let mut byte = [0u8; 1];
    while out.len() < 9 {
        if out.len() == 4 {
            out.push('-');
            continue;
        }
        fill(&mut byte);
        // Rejection sampling keeps the draw uniform (240 = 12 × 20).
        if byte[0] < 240 {
            out.push(USER_CODE_ALPHABET[usize::from(byte[0] % 20)] as char);
        }
    }
    out
}

/// A typed user code in canonical form: letters upper-case, `-` and spaces dropped, the dash put
/// back; `None` if it cannot be a user code.
pub fn normalise_user_code(typed: &str) -> Option<String> {
    let letters: String = typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .flat_map(char::to_uppercase)
        .collect();
    (letters.len() == 8 && letters.bytes().all(|b| USER_CODE_ALPHABET.contains(&b)))
        .then(|| format!("{}-{}", &letters[..4], &letters[4..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let a = random_hex();
        assert_eq!(a.len(), 64);
        assert_ne!(a, random_hex());
        assert_eq!(hash("x").len(), 64);
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        for _ in 0..100 {
            let c = user_code();
            assert_eq!(normalise_user_code(&c), Some(c.clone()));
        }
        assert_eq!(
            normalise_user_code("bcdf ghjk"),
            Some("BCDF-GHJK".to_owned())
        );
        assert_eq!(
            normalise_user_code("bcdfghjk"),
            Some("BCDF-GHJK".to_owned())
        );
        assert_eq!(
            normalise_user_code("ABCD-EFGH"),
            None,
            "vowels are not in the alphabet"
        );
        assert_eq!(normalise_user_code("BCD"), None);
    }
}
