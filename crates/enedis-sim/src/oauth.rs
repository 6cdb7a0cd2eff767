//! `POST /oauth2/v3/token`: the client-credentials grant, and the bearer check of data calls.

use std::collections::HashMap;

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use enedis_protocol::oauth::TokenAnswer;
use serde_json::json;

use crate::SimState;

/// The token endpoint's path.
pub const TOKEN_PATH: &str = "/oauth2/v3/token";

/// A token issued to a client.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// Who it was issued to.
    pub client_id: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// The client id a response is about, for the request log.
#[derive(Debug, Clone)]
pub struct ClientOfCall(pub String);

fn token_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

const BAD_CREDENTIALS: &str =
    "Valid authentication credentials are mandatory to access the resource";

/// A fresh random token: 32 bytes from the system's generator, hex.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    // The system RNG failing is not something a simulator can recover from meaningfully; fall
    // back to a time-derived value rather than panic.
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
        bytes[..8].copy_from_slice(&nanos.to_le_bytes());
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// Handles a token request. Credentials may come in the form body, in HTTP Basic, or in the
/// query string (as Conso API sends them).
pub fn token(state: &SimState, headers: &HeaderMap, query: &str, body: &[u8]) -> Response {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form && !body.is_empty() {
        return token_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid_request",
            "Content-Type must be application/x-www-form-urlencoded",
        );
    }
    let mut params: HashMap<String, String> = serde_urlencoded::from_str(query).unwrap_or_default();
    params.extend(serde_urlencoded::from_bytes::<Vec<(String, String)>>(body).unwrap_or_default());
    match params.get("grant_type").map(String::as_str) {
        None => {
            return token_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "The request is missing a required parameter: grant_type",
            )
        }
        Some("client_credentials") => {}
        Some(_) => {
            return token_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "The authorization grant type is not supported by the authorization server",
            )
        }
    }
    let (client_id, secret) = match basic_credentials(headers) {
        Some(pair) => pair,
        None => (
            params.get("client_id").cloned().unwrap_or_default(),
            params.get("client_secret").cloned().unwrap_or_default(),
        ),
    };
    let accepted = match &state.config.credentials {
        Some(c) => c.client_id == client_id && c.client_secret == secret,
        None => !client_id.is_empty() && !secret.is_empty(),
    };
    if !accepted {
        let mut response = token_error(StatusCode::UNAUTHORIZED, "invalid_client", BAD_CREDENTIALS);
        response.extensions_mut().insert(ClientOfCall(client_id));
        return response;
    }
    let access_token = random_token();
    let lifetime = state.config.token_lifetime_seconds;
    state.issue_token(
        access_token.clone(),
        IssuedToken {
            client_id: client_id.clone(),
            expires_at: state.now() + Duration::seconds(lifetime),
        },
    );
    let mut response = Json(TokenAnswer {
        access_token,
        token_type: "Bearer".into(),
        expires_in: Some(lifetime),
        scope: String::new(),
    })
    .into_response();
    response.extensions_mut().insert(ClientOfCall(client_id));
    response
}

/// The answer to a data call without a valid bearer token: 401 with the error in the
/// `WWW-Authenticate` header (which some clients read) and the API manager's body.
pub fn unauthorized() -> Response {
    let body = json!({"fault": {"code": 900901, "message": "Invalid Credentials", "description": "Invalid Credentials. Make sure you have provided the correct security credentials"}});
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\", error_description=\"The access token is missing, invalid or expired\"")],
        Json(body),
    )
        .into_response()
}

/// The bearer token of a request, if any.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
}
