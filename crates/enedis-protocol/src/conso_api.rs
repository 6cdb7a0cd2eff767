//! The Conso API (`conso.boris.sh`), a free community gateway to Enedis: a person consents on its
//! site and copies a token, then asks `GET /api/{type}?pointId=…&dateDebut=…&dateFin=…` with
//! `Authorization: Bearer <token>`. For the 2026 types the success body is Enedis's own 2026
//! body (read with [`crate::v2026`]); errors are the gateway's `{"status", "message", "error"}`.
//! (`shared/reference/enedis.md` §6.1.)

use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::error::EnedisError;
use crate::v2026::Mesure;

/// The public address of the Conso API.
pub const PUBLIC_URL: &str = "https://conso.boris.sh";

/// The path of every data call.
pub const API_PREFIX: &str = "/api/";

/// The gateway's name of a 2026 measure (`/api/<name>`).
pub fn type_name(mesure: Mesure) -> &'static str {
    match mesure {
        Mesure::ConsommationQuotidienne => "consommation_quotidienne",
        Mesure::CourbeDeChargeConsommation => "courbe_de_charge_consommation",
        Mesure::PuissanceConsoMaxQuotidienne => "puissance_conso_max_quotidienne",
        Mesure::ProductionQuotidienne => "production_quotidienne",
        Mesure::CourbeDeChargeProduction => "courbe_de_charge_production",
    }
}

/// The measure behind a 2026 type name.
pub fn mesure_of(type_name_: &str) -> Option<Mesure> {
    Mesure::ALL
        .into_iter()
        .find(|m| type_name(*m) == type_name_)
}

/// The claims of a Conso API token: `sub` lists the meters (PRM) the person consented for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenClaims {
    /// The meters, 14-digit PRMs.
    pub sub: Vec<String>,
    /// Issued at (Unix seconds).
    #[serde(default)]
    pub iat: i64,
    /// Expires at (Unix seconds); the gateway gives 1 094 days.
    #[serde(default)]
    pub exp: i64,
}

/// Why a pasted token cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not three dot-separated base64url parts.
    #[error("this is not a Conso API token (expected three parts separated by dots, as copied from conso.boris.sh/token)")]
    NotAToken,
    /// The middle part is not the expected JSON.
    #[error("the token's content cannot be read ({0}); copy it again, whole, from conso.boris.sh")]
    Claims(String),
    /// No meter in it.
    #[error("the token names no meter; consent again on conso.boris.sh and copy the new token")]
    NoMeter,
}

/// Reads the claims of a token without checking its signature, as every client of the gateway
/// does: only the gateway holds the key, and it checks the token on each call.
pub fn read_claims(token: &str) -> Result<TokenClaims, TokenError> {
    let mut parts = token.trim().split('.');
    let (Some(_header), Some(payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::NotAToken);
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| TokenError::NotAToken)?;
    let claims: TokenClaims =
        serde_json::from_slice(&bytes).map_err(|e| TokenError::Claims(e.to_string()))?;
    if claims.sub.is_empty() {
        return Err(TokenError::NoMeter);
    }
    Ok(claims)
}

/// The gateway's error body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GatewayError {
    /// The HTTP status, repeated.
    pub status: u16,
    /// The gateway's French text.
    pub message: String,
    /// Enedis's own error (JSON or text) when Enedis refused, or the parameter check's details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<serde_json::Value>,
}

/// The gateway's own refusals, as it words them.
pub mod messages {
    /// 400: a parameter is missing or malformed.
    pub const INVALID_PARAMETERS: &str = "Paramètres invalides";
    /// 400: no `Authorization: Bearer`.
    pub const MISSING_AUTHORIZATION: &str = "Le header 'Authorization' est manquant ou invalide";
    /// 401: the token is not valid, or does not cover this meter.
    pub const INVALID_TOKEN: &str = "Votre token est invalide ou ne permet pas d'accéder à ce PRM";
    /// 405: anything but GET.
    pub const GET_ONLY: &str = "Seule la méthode GET est autorisée";
    /// 500: the gateway could not renew its Enedis token.
    pub const REFRESH_FAILED: &str = "Impossible de rafraîchir le token. Réessayez plus tard";
    /// 500: anything else.
    pub const UNKNOWN: &str = "Erreur inconnue. Réessayez plus tard";
    /// Enedis refused: its body is under `error`, its status passed through.
    pub const ENEDIS: &str = "The Enedis API returned an error";
}

/// What a refusal of the gateway means, in Enedis's terms so the sync decides as for Enedis.
///
/// Enedis's own error (under `error`) is read as Enedis's; the gateway's refusals get codes of
/// their own: `conso-api-token` (the token is not valid or does not cover the meter: a new token
/// is needed), `invalid_request` and `technical_error`.
pub fn read_error(status: u16, body: &str) -> EnedisError {
    let Ok(gateway) = serde_json::from_str::<GatewayError>(body) else {
        return EnedisError::from_response(status, body, None);
    };
    match &gateway.error {
        Some(serde_json::Value::Object(_)) if gateway.message == messages::ENEDIS => {
            let inner = gateway.error.as_ref().map(ToString::to_string);
            EnedisError::from_response(status, inner.as_deref().unwrap_or_default(), None)
        }
        Some(serde_json::Value::String(text)) if gateway.message == messages::ENEDIS => {
            EnedisError::from_response(status, text, None)
        }
        _ => {
            let code = match status {
                401 => "conso-api-token",
                400 if gateway.message == messages::MISSING_AUTHORIZATION => "conso-api-token",
                400 | 405 => "invalid_request",
                429 => "429",
                _ => "technical_error",
            };
            EnedisError {
                status,
                code: code.to_owned(),
                description: gateway.message,
                next_access_time: None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn token(claims: &str) -> String {
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!(
            "{}.{}.c2ln",
            e.encode(r#"{"alg":"HS256","typ":"JWT"}"#),
            e.encode(claims)
        )
    }

    #[test]
    fn claims_list_the_meters() {
        let t = token(r#"{"sub":["12345678901234","10284856584123"],"iat":1,"exp":2}"#);
        assert_eq!(
            read_claims(&t).unwrap().sub,
            ["12345678901234", "10284856584123"]
        );
        assert_eq!(read_claims("abc"), Err(TokenError::NotAToken));
        assert_eq!(read_claims("a.b.c.d"), Err(TokenError::NotAToken));
        assert_eq!(
            read_claims(&token(r#"{"sub":[]}"#)),
            Err(TokenError::NoMeter)
        );
        assert!(matches!(
            read_claims(&token(r#"{"sub":"x"}"#)),
            Err(TokenError::Claims(_))
        ));
    }

    #[test]
    fn every_refusal_reads_as_what_it_means() {
        let cases = [
            (
                401,
                r#"{"status":401,"message":"Votre token est invalide ou ne permet pas d'accéder à ce PRM"}"#,
                ErrorKind::InvalidToken,
                "conso-api-token",
            ),
            (
                400,
                r#"{"status":400,"message":"Paramètres invalides","error":{"issues":[]}}"#,
                ErrorKind::InvalidRequest,
                "invalid_request",
            ),
            (
                500,
                r#"{"status":500,"message":"Impossible de rafraîchir le token. Réessayez plus tard"}"#,
                ErrorKind::Unavailable,
                "technical_error",
            ),
            (
                429,
                r#"{"status":429,"message":"The Enedis API returned an error","error":{"code":"900804","message":"Message throttled out","nextAccessTime":"2026-Dec-05 10:00:01+0000 UTC"}}"#,
                ErrorKind::Quota,
                "900804",
            ),
            (
                400,
                r#"{"status":400,"message":"The Enedis API returned an error","error":"{\"error\":\"ADAM-ERR0123\",\"error_description\":\"x\"}"}"#,
                ErrorKind::BeforeActivation,
                "ADAM-ERR0123",
            ),
        ];
        for (status, body, kind, code) in cases {
            let e = read_error(status, body);
            assert_eq!(e.code, code, "{body}");
            assert_eq!(e.kind(), kind, "{body}");
        }
        let quota = read_error(429, cases[3].1);
        assert!(quota.next_access_time.is_some());
    }

    #[test]
    fn type_names_round_trip() {
        for m in Mesure::ALL {
            assert_eq!(mesure_of(type_name(m)), Some(m));
        }
        assert_eq!(mesure_of("daily_consumption"), None);
    }
}
