//! Enedis errors: the catalogue the simulator answers with, and the reader clients use.
//!
//! Bodies come in several shapes and a client must accept all of them:
//! `{"error", "error_description", "error_uri"?}` from the Data Connect back end,
//! `{"code", "message", "description", "nextAccessTime"}` and `{"fault": {…}}` from the API
//! manager when throttling, and sometimes nothing but a `WWW-Authenticate` header on a 401.

use serde::{Deserialize, Serialize};

/// The documentation link Enedis puts in some error bodies.
pub const ERROR_URI: &str = "https://bluecoder.enedis.fr/api-doc/consulter-souscrire";

/// The v5 error body, `{"error", "error_description", "error_uri"?}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The code, e.g. `ADAM-ERR0123` or `no_data_found`.
    pub error: String,
    /// The human text.
    pub error_description: String,
    /// A documentation link, present on some errors only.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error_uri: Option<String>,
}

/// The 2026 API-manager throttling body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThrottledBody {
    /// `"900804"`.
    pub code: String,
    /// `"Message throttled out"`.
    pub message: String,
    /// Says when access comes back.
    pub description: String,
    /// When access comes back, e.g. `2026-Jul-17 05:00:00+0000 UTC`.
    #[serde(rename = "nextAccessTime")]
    pub next_access_time: String,
}

/// The documented Enedis errors, each with its exact status and text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// 400: `usage_point_id` missing.
    UsagePointMissing,
    /// 400: `usage_point_id` not 14 digits.
    UsagePointMalformed,
    /// 400: `start` missing.
    StartMissing,
    /// 400: `end` missing.
    EndMissing,
    /// 400: `start` not in `YYYY-MM-DD`.
    StartMalformed,
    /// 400: `end` not in `YYYY-MM-DD` (text inferred from the documented `start` one).
    EndMalformed,
    /// 400: `end` after today.
    EndInFuture,
    /// 400: `start` not before `end`.
    StartNotBeforeEnd,
    /// 400 `ADAM-ERR0123`: before the meter's last activation.
    BeforeActivation,
    /// 400 `ADAM-ERR0125`: older than the history depth.
    HistoryDeadline,
    /// 400 `ADAM-ERR0126`: load-curve window too long.
    LoadCurvePeriod,
    /// 400 `ADAM-ERR0069`: wrong direction for this meter.
    WrongDirection,
    /// 400 (2026; 403 in the v5 documentation) `ADAM-DC-0007`: the customer no longer holds the meter.
    NotHolder,
    /// 403 `ADAM-DC-0008`: no consent (revoked or expired).
    NoConsent,
    /// 404 `no_data_found`: no data in the range, or load-curve collection not enabled.
    NoDataFound,
    /// 500 `technical_error`.
    TechnicalError,
}

impl ErrorCode {
    /// Every code.
    pub const ALL: [ErrorCode; 16] = [
        ErrorCode::UsagePointMissing,
        ErrorCode::UsagePointMalformed,
        ErrorCode::StartMissing,
        ErrorCode::EndMissing,
        ErrorCode::StartMalformed,
        ErrorCode::EndMalformed,
        ErrorCode::EndInFuture,
        ErrorCode::StartNotBeforeEnd,
        ErrorCode::BeforeActivation,
        ErrorCode::HistoryDeadline,
        ErrorCode::LoadCurvePeriod,
        ErrorCode::WrongDirection,
        ErrorCode::NotHolder,
        ErrorCode::NoConsent,
        ErrorCode::NoDataFound,
        ErrorCode::TechnicalError,
    ];

    /// The HTTP status Enedis answers with.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::NoConsent => 403,
            ErrorCode::NoDataFound => 404,
            ErrorCode::TechnicalError => 500,
            _ => 400,
        }
    }

    /// The body Enedis sends, to the letter.
    pub fn body(self) -> ErrorBody {
        let (error, description, uri) = match self {
            ErrorCode::UsagePointMissing => (
                "Invalid_request",
                "usage_point_id parameter is required.",
                false,
            ),
            ErrorCode::UsagePointMalformed => (
                "Invalid_request",
                "usage_point_id parameter must be 14 digits long.",
                false,
            ),
            ErrorCode::StartMissing => (
                "Invalid_request",
                "Start date parameter is required.",
                false,
            ),
            ErrorCode::EndMissing => ("Invalid_request", "End date parameter is required.", false),
            ErrorCode::StartMalformed => (
                "Invalid_request",
                "Start date parameter must be in the format YYYY-MM-DD",
                false,
            ),
            ErrorCode::EndMalformed => (
                "Invalid_request",
                "End date parameter must be in the format YYYY-MM-DD",
                false,
            ),
            ErrorCode::EndInFuture => (
                "Invalid_request",
                "The end date parameter must be earlier than the current date",
                false,
            ),
            ErrorCode::StartNotBeforeEnd => (
                "Invalid_request",
                "Start date should be before end date.",
                false,
            ),
            ErrorCode::BeforeActivation => (
                "ADAM-ERR0123",
                "The requested period cannot be anterior to the meter's last activation date",
                true,
            ),
            ErrorCode::HistoryDeadline => (
                "ADAM-ERR0125",
                "The start date must be greater than the history deadline.",
                false,
            ),
            ErrorCode::LoadCurvePeriod => (
                "ADAM-ERR0126",
                "The requested period must be less than 7 days for an access to the load curve.",
                true,
            ),
            ErrorCode::WrongDirection => (
                "ADAM-ERR0069",
                "Le sens de la mesure ne correspond pas pour le PRM demandé.",
                false,
            ),
            ErrorCode::NotHolder => (
                "ADAM-DC-0007",
                "Le client n'est pas titulaire du point demandé.",
                false,
            ),
            ErrorCode::NoConsent => (
                "ADAM-DC-0008",
                "No consent can be found for this customer and this usage point.",
                false,
            ),
            ErrorCode::NoDataFound => (
                "no_data_found",
                "no measure found for this usage point",
                true,
            ),
            ErrorCode::TechnicalError => (
                "technical_error",
                "Technical error. Please try later.",
                false,
            ),
        };
        ErrorBody {
            error: error.to_owned(),
            error_description: description.to_owned(),
            error_uri: uri.then(|| ERROR_URI.to_owned()),
        }
    }
}

impl ErrorCode {
    /// The body the 2026 generation sends for the same error. Only `ADAM-ERR0123` (French text)
    /// and the `SGT404` not-found shape are reported from real 2026 traffic or third-party
    /// fixtures; the other French texts are ours, in the same style, and the codes are v5's.
    pub fn body_2026(self) -> serde_json::Value {
        let text = match self {
            ErrorCode::NoDataFound => {
                return serde_json::json!({"code": "SGT404", "message": "Pas de mesure trouvée pour ce point"});
            }
            ErrorCode::UsagePointMissing => "Le paramètre pointId est obligatoire.",
            ErrorCode::UsagePointMalformed => "Le paramètre pointId doit comporter 14 chiffres.",
            ErrorCode::StartMissing => "Le paramètre dateDebut est obligatoire.",
            ErrorCode::EndMissing => "Le paramètre dateFin est obligatoire.",
            ErrorCode::StartMalformed => "Le paramètre dateDebut doit être au format AAAA-MM-JJ.",
            ErrorCode::EndMalformed => "Le paramètre dateFin doit être au format AAAA-MM-JJ.",
            ErrorCode::EndInFuture => "La date de fin doit être antérieure ou égale à la date du jour.",
            ErrorCode::StartNotBeforeEnd => "La date de début doit être antérieure à la date de fin.",
            ErrorCode::BeforeActivation => "La demande ne peut pas aboutir, la période demandée est antérieure à la date de dernière mise en service du point.",
            ErrorCode::HistoryDeadline => "La demande ne peut pas aboutir, la date de début est antérieure à la profondeur d'historique autorisée.",
            ErrorCode::LoadCurvePeriod => "La demande ne peut pas aboutir, la période demandée doit être inférieure à 7 jours pour la courbe de charge.",
            ErrorCode::NoConsent => "Aucun consentement n'a été trouvé pour ce client et ce point.",
            ErrorCode::TechnicalError => "Erreur technique. Veuillez réessayer plus tard.",
            ErrorCode::WrongDirection | ErrorCode::NotHolder => {
                let v5 = self.body();
                return serde_json::json!({"error": v5.error, "error_description": v5.error_description});
            }
        };
        let error = match self.body().error.as_str() {
            "Invalid_request" => "invalid_request".to_owned(),
            other => other.to_owned(),
        };
        serde_json::json!({"error": error, "error_description": text})
    }
}

/// What an error means for the caller, whatever its shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The request itself is wrong (parameters, dates); asking again will not help.
    InvalidRequest,
    /// Before the meter's activation date: nothing exists there.
    BeforeActivation,
    /// Older than Enedis keeps.
    BeyondHistory,
    /// The window is too long.
    WindowTooLong,
    /// The meter does not measure that direction (e.g. no production).
    WrongDirection,
    /// The consent is gone (revoked, expired, or the customer moved): a new consent is needed.
    ConsentLost,
    /// No data in that range (or load-curve collection not enabled).
    NoData,
    /// Too many requests: wait, then retry.
    Quota,
    /// Enedis is failing: retry later.
    Unavailable,
    /// The access token is not valid: refresh it once.
    InvalidToken,
    /// Anything else.
    Other,
}

impl ErrorKind {
    /// A stable snake_case name, for counters and metrics labels.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidRequest => "invalid_request",
            ErrorKind::BeforeActivation => "before_activation",
            ErrorKind::BeyondHistory => "beyond_history",
            ErrorKind::WindowTooLong => "window_too_long",
            ErrorKind::WrongDirection => "wrong_direction",
            ErrorKind::ConsentLost => "consent_lost",
            ErrorKind::NoData => "no_data",
            ErrorKind::Quota => "quota",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::InvalidToken => "invalid_token",
            ErrorKind::Other => "other",
        }
    }

    /// Whether asking the same thing later may succeed.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            ErrorKind::Quota | ErrorKind::Unavailable | ErrorKind::InvalidToken
        )
    }
}

/// An error read from an Enedis (or gateway) response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnedisError {
    /// The HTTP status.
    pub status: u16,
    /// The code (`error`, `code` or `fault.code`), empty if none was given.
    pub code: String,
    /// The text (`error_description`, `description` or `message`).
    pub description: String,
    /// For throttling: when access comes back, as Enedis wrote it.
    pub next_access_time: Option<String>,
}

#[derive(Deserialize)]
struct AnyShape {
    error: Option<serde_json::Value>,
    error_description: Option<String>,
    code: Option<serde_json::Value>,
    message: Option<String>,
    description: Option<String>,
    #[serde(rename = "nextAccessTime")]
    next_access_time: Option<String>,
    fault: Option<Box<AnyShape>>,
}

fn text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl EnedisError {
    /// Reads an error from a status, a body and the `WWW-Authenticate` header, accepting every
    /// shape in use: `error`/`error_description`, then `code`/`message`/`description`, then
    /// `fault.*`, then `error="…"` in the header. An unreadable body still gives an error with
    /// the status (and no code), never a failure.
    pub fn from_response(status: u16, body: &str, www_authenticate: Option<&str>) -> EnedisError {
        let mut out = EnedisError {
            status,
            code: String::new(),
            description: String::new(),
            next_access_time: None,
        };
        if let Ok(shape) = serde_json::from_str::<AnyShape>(body) {
            let shape = match shape.fault {
                Some(fault) if shape.error.is_none() && shape.code.is_none() => *fault,
                _ => shape,
            };
            if let Some(e) = &shape.error {
                // Gateways sometimes nest the Enedis body under "error".
                if let serde_json::Value::Object(inner) = e {
                    let nested = serde_json::Value::Object(inner.clone()).to_string();
                    return EnedisError::from_response(status, &nested, www_authenticate);
                }
                out.code = text(e);
                out.description = shape.error_description.clone().unwrap_or_default();
            } else if let Some(c) = &shape.code {
                out.code = text(c);
                out.description = shape
                    .description
                    .clone()
                    .or(shape.message.clone())
                    .unwrap_or_default();
            }
            out.next_access_time = shape.next_access_time;
        }
        if out.code.is_empty() {
            if let Some((code, description)) = www_authenticate.and_then(parse_www_authenticate) {
                out.code = code;
                out.description = description;
            }
        }
        out
    }

    /// What the error means for the caller.
    pub fn kind(&self) -> ErrorKind {
        let code = self.code.to_lowercase();
        match code.as_str() {
            "adam-err0123" => ErrorKind::BeforeActivation,
            "adam-err0125" | "adam-dc-0016" => ErrorKind::BeyondHistory,
            "adam-err0126" | "adam-dc-0015" => ErrorKind::WindowTooLong,
            "adam-err0069" => ErrorKind::WrongDirection,
            // `insufficient_scope` is linky-proxy's: the meter is not covered by the consent.
            "adam-dc-0007" | "adam-dc-0008" | "adam-dc-0009" | "insufficient_scope" => {
                ErrorKind::ConsentLost
            }
            "no_data_found" | "stm-err-0000014" | "stm-err-0000020" | "sgt404" => ErrorKind::NoData,
            "invalid_token" => ErrorKind::InvalidToken,
            "invalid_request" | "invalid_resquest" => ErrorKind::InvalidRequest,
            "technical_error" | "adam-dc-0500" | "stm-err-0000001" => ErrorKind::Unavailable,
            "900804" | "900807" | "429" => ErrorKind::Quota,
            _ => match self.status {
                429 => ErrorKind::Quota,
                401 => ErrorKind::InvalidToken,
                500 | 502 | 503 | 504 => ErrorKind::Unavailable,
                _ => ErrorKind::Other,
            },
        }
    }
}

/// `Bearer error="invalid_token", error_description="…"` → (code, description). Tolerates the
/// `, ` separator and items without `=` (both crashed the original).
fn parse_www_authenticate(header: &str) -> Option<(String, String)> {
    let params = header.trim().strip_prefix("Bearer").unwrap_or(header);
    let mut code = None;
    let mut description = String::new();
    for item in params.split(',') {
        let Some((key, value)) = item.split_once('=') else {
            continue;
        };
        let value = value.trim().trim_matches('"').to_owned();
        match key.trim() {
            "error" => code = Some(value),
            "error_description" => description = value,
            _ => {}
        }
    }
    code.map(|c| (c, description))
}

/// `2026-Jul-17 05:00:00+0000 UTC`: how Enedis's gateway writes `nextAccessTime`.
pub fn format_next_access(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%b-%d %H:%M:%S+0000 UTC").to_string()
}

/// Reads a `nextAccessTime` as [`format_next_access`] writes it.
pub fn parse_next_access(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_str(text.trim_end_matches(" UTC"), "%Y-%b-%d %H:%M:%S%z")
        .ok()
        .map(|t| t.to_utc())
}

impl EnedisError {
    /// For throttling: when access comes back, if Enedis said.
    pub fn next_access(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        parse_next_access(self.next_access_time.as_deref()?)
    }
}

/// A 429 without `nextAccessTime` but with `Retry-After: <seconds>` gets the equivalent
/// `nextAccessTime`, so the sync waits the time asked whichever way it was said.
pub fn with_retry_after(
    body: String,
    retry_after: Option<i64>,
    now: chrono::DateTime<chrono::Utc>,
) -> String {
    let Some(seconds) = retry_after else {
        return body;
    };
    let mut value: serde_json::Value = serde_json::from_str(&body)
        .unwrap_or_else(|_| serde_json::json!({"code": "429", "message": body}));
    if let Some(object) = value.as_object_mut() {
        if !object.contains_key("nextAccessTime") {
            let at = now + chrono::Duration::seconds(seconds.max(0));
            object.insert(
                "nextAccessTime".into(),
                serde_json::Value::String(format_next_access(at)),
            );
            if !object.contains_key("code") && !object.contains_key("error") {
                object.insert("code".into(), serde_json::Value::String("429".into()));
            }
        }
    }
    value.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_maps_back_to_its_kind() {
        for code in ErrorCode::ALL {
            let body = serde_json::to_string(&code.body()).unwrap();
            let e = EnedisError::from_response(code.status(), &body, None);
            let expected = match code {
                ErrorCode::BeforeActivation => ErrorKind::BeforeActivation,
                ErrorCode::HistoryDeadline => ErrorKind::BeyondHistory,
                ErrorCode::LoadCurvePeriod => ErrorKind::WindowTooLong,
                ErrorCode::WrongDirection => ErrorKind::WrongDirection,
                ErrorCode::NotHolder | ErrorCode::NoConsent => ErrorKind::ConsentLost,
                ErrorCode::NoDataFound => ErrorKind::NoData,
                ErrorCode::TechnicalError => ErrorKind::Unavailable,
                _ => ErrorKind::InvalidRequest,
            };
            assert_eq!(e.kind(), expected, "{code:?}");
        }
    }

    #[test]
    fn header_only_401_and_odd_bodies() {
        let e = EnedisError::from_response(
            401,
            "",
            Some("Bearer realm=\"x\", error=\"invalid_token\", error_description=\"expired\""),
        );
        assert_eq!(
            (e.code.as_str(), e.description.as_str(), e.kind()),
            ("invalid_token", "expired", ErrorKind::InvalidToken)
        );
        let e = EnedisError::from_response(401, "<html>", Some("Bearer garbage"));
        assert_eq!(e.kind(), ErrorKind::InvalidToken);
        let e = EnedisError::from_response(503, "Service Unavailable", None);
        assert!(e.kind().is_retryable());
        let nested = r#"{"status":400,"message":"The Enedis API returned an error","error":{"error":"Invalid_request","error_description":"Start date should be before end date."}}"#;
        let e = EnedisError::from_response(400, nested, None);
        assert_eq!(e.kind(), ErrorKind::InvalidRequest);
        assert_eq!(e.description, "Start date should be before end date.");
    }

    #[test]
    fn retry_after_becomes_next_access_time() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-28T10:00:00Z")
            .unwrap()
            .to_utc();
        let body = with_retry_after("Too Many Requests".into(), Some(30), now);
        let e = EnedisError::from_response(429, &body, None);
        assert_eq!(
            e.next_access_time.as_deref(),
            Some("2026-Nov-28 10:00:30+0000 UTC")
        );
        let kept = with_retry_after(
            r#"{"nextAccessTime":"2026-Nov-28 11:00:00+0000 UTC"}"#.into(),
            Some(30),
            now,
        );
        assert!(kept.contains("11:00:00"), "the body's own time wins");
        assert_eq!(with_retry_after("x".into(), None, now), "x");
    }
}
