//! Enedis's OAuth token endpoint (`/oauth2/v3/token`, client credentials): its answer, as the
//! simulator writes it and the client's direct mode and the proxy read it.

use serde::{Deserialize, Serialize};

/// The token endpoint's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenAnswer {
    /// The application's bearer token.
    pub access_token: String,
    /// `Bearer`.
    #[serde(default = "bearer")]
    pub token_type: String,
    /// Seconds it lives. Enedis gives a number; its Swagger shows a string: both are read.
    #[serde(default, deserialize_with = "number_or_string")]
    pub expires_in: Option<i64>,
    /// The scope, usually empty.
    #[serde(default)]
    pub scope: String,
}

fn bearer() -> String {
    "Bearer".to_owned()
}

fn number_or_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(match v {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

impl TokenAnswer {
    /// How long to keep the token: its lifetime (an hour when not said, two minutes at least).
    pub fn lifetime_seconds(&self) -> i64 {
        self.expires_in.unwrap_or(3600).max(120)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expires_in_as_a_number_or_a_string() {
        let a: TokenAnswer = serde_json::from_str(
            r#"{"access_token":"t","token_type":"Bearer","expires_in":12600}"#,
        )
        .unwrap();
        let b: TokenAnswer =
            serde_json::from_str(r#"{"access_token":"t","expires_in":"12600"}"#).unwrap();
        assert_eq!(a.expires_in, Some(12600));
        assert_eq!(b.expires_in, Some(12600));
        assert_eq!(b.token_type, "Bearer");
        let c: TokenAnswer = serde_json::from_str(r#"{"access_token":"t"}"#).unwrap();
        assert_eq!(c.lifetime_seconds(), 3600);
    }
}
