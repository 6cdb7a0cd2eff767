//! `GET /data/proxy/<Enedis path>`: the data calls, forwarded with the application's token once
//! the caller's token is known to cover the meter named in the request.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, Path, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use enedis_protocol::customers::paths as customers;
use enedis_protocol::v2026::{contract_paths, Mesure};
use enedis_protocol::v5::Resource;
use linky_proxy_store::ProxyStore;

use crate::secrets::hash;
use crate::{internal, json_error, AppState, V5Translation};
use enedis_protocol::translate::{unknown_path, v5_error, V5Call};

/// Where a path names its meter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MeterIn {
    /// A query parameter.
    Query(&'static str),
    /// The last path segment.
    Path,
}

/// The allow-list: metering and contract paths of both generations, and nothing else (no
/// identity, contact or address data).
fn allowed(path: &str) -> Option<MeterIn> {
    if Resource::from_path(path).is_some() || path == customers::CONTRACTS {
        return Some(MeterIn::Query("usage_point_id"));
    }
    if Mesure::from_path(path).is_some() {
        return Some(MeterIn::Query("pointId"));
    }
    let (base, prm) = path.rsplit_once('/')?;
    let contract = [
        contract_paths::SITUATION,
        contract_paths::SYNTHESE,
        contract_paths::COMPTAGE,
    ]
    .contains(&base);
    (contract && prm.len() == 14 && prm.bytes().all(|b| b.is_ascii_digit()))
        .then_some(MeterIn::Path)
}

/// The hash of the caller's bearer token, if the request has one: read from the request's
/// headers where they lie, without the copy of them all that a `HeaderMap` argument makes.
pub struct BearerHash(Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for BearerHash {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty());
        Ok(BearerHash(token.map(hash)))
    }
}

fn unauthorized(description: &str) -> Response {
    let mut r = json_error(StatusCode::UNAUTHORIZED, "invalid_token", description);
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer error=\"invalid_token\""),
    );
    r
}

/// The proxy.
pub async fn proxy<S: ProxyStore>(
    State(state): State<AppState<S>>,
    ConnectInfo(_peer): ConnectInfo<SocketAddr>,
    Path(path): Path<String>,
    RawQuery(query): RawQuery,
    BearerHash(token_hash): BearerHash,
) -> Response {
    let now = state.clock.now();
    let Some(token_hash) = token_hash else {
        return unauthorized("Authorization: Bearer <access token> is missing");
    };
    let family = match state.access_cache.get(&token_hash, now) {
        Some(f) => f,
        None => match state.store.access(&token_hash, now).await {
            Ok(Some(f)) => {
                state.access_cache.insert(&token_hash, &f, now);
                f
            }
            Ok(None) => {
                return unauthorized("the access token is unknown, expired or revoked; refresh it")
            }
            Err(e) => return internal(e),
        },
    };
    // Each device has its own budget: one household cannot drain the quota all share.
    if let Err(wait) = state.limits.calls_by_device.take(&family.id.to_string()) {
        tracing::info!(family = family.id, "data calls over the device's budget");
        return crate::too_many(wait, "this device made too many calls; retry later");
    }
    let path = format!("/{}", path.trim_start_matches('/'));
    let Some(meter_in) = allowed(&path) else {
        return json_error(
            StatusCode::NOT_FOUND,
            "not_found",
            "this path is not served by the proxy (metering and contract data only)",
        );
    };
    let query = query.unwrap_or_default();
    let meter = match meter_in {
        MeterIn::Path => path.rsplit('/').next().map(str::to_owned),
        MeterIn::Query(name) => {
            // Borrowed where nothing is escaped: no copy of the query per call.
            let mut values = form_urlencoded::parse(query.as_bytes())
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned());
            let first = values.next();
            // Two meter parameters could be read differently here and at Enedis: refuse.
            if values.next().is_some() {
                return json_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    &format!("{name} is given more than once"),
                );
            }
            match first {
                Some(v) => Some(v),
                None => {
                    return json_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_request",
                        &format!("Missing {name}"),
                    )
                }
            }
        }
    };
    let Some(meter) = meter.filter(|m| family.meters.iter().any(|f| f == m)) else {
        let mut r = json_error(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            "this token does not cover that meter; give consent for it with linky login",
        );
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer error=\"insufficient_scope\""),
        );
        return r;
    };
    let personal = path.starts_with("/situation_contrat_auto/");
    let v5_call = match state.config.v5_translation {
        V5Translation::Pass => None,
        V5Translation::Translate | V5Translation::Auto => V5Call::parse(&path, &query),
    };
    if let Some(call) = &v5_call {
        let gone = state.v5_gone.load(std::sync::atomic::Ordering::Relaxed);
        if state.config.v5_translation == V5Translation::Translate || gone {
            return crate::limits::for_household(family.id, translated(&state, call)).await;
        }
    }
    if let Err(wait) = state.limits.calls_by_meter.take(&meter) {
        tracing::info!(family = family.id, "data calls over the meter's budget");
        return crate::too_many(wait, "too many calls for this meter; retry later");
    }
    let path_and_query = if query.is_empty() {
        path
    } else {
        format!("{path}?{query}")
    };
    let answer = crate::limits::for_household(family.id, state.enedis.get(&path_and_query)).await;
    match answer {
        Ok(answer)
            if v5_call.is_some()
                && unknown_path(answer.status, &String::from_utf8_lossy(&answer.body)) =>
        {
            tracing::info!("Enedis no longer serves v5: the original plugin's calls are translated to the 2026 generation from now on");
            state
                .v5_gone
                .store(true, std::sync::atomic::Ordering::Relaxed);
            match &v5_call {
                Some(call) => {
                    crate::limits::for_household(family.id, translated(&state, call)).await
                }
                None => internal("v5 call vanished"),
            }
        }
        Ok(answer) => {
            tracing::debug!(
                family = family.id,
                meter,
                status = answer.status,
                "forwarded"
            );
            let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_GATEWAY);
            let body = if personal && answer.status == 200 {
                without_personal_data(&answer.body)
            } else {
                axum::body::Bytes::from(answer.body)
            };
            let mut response = (status, body).into_response();
            if let Some(ct) = answer
                .content_type
                .and_then(|c| HeaderValue::from_str(&c).ok())
            {
                response.headers_mut().insert(header::CONTENT_TYPE, ct);
            }
            response
                .headers_mut()
                .insert(header::VIA, HeaderValue::from_static("1.1 linky-proxy"));
            response
        }
        Err(crate::upstream::UpstreamError::Throttled(wait)) => crate::too_many(
            wait,
            "the Enedis quota shared by every household is spent for now; retry later",
        ),
        Err(e) => {
            tracing::warn!(error = %e, "upstream call failed");
            json_error(
                StatusCode::BAD_GATEWAY,
                "upstream_unavailable",
                &e.to_string(),
            )
        }
    }
}

/// A v5 metering call answered from the 2026 generation: the 2026 calls in order, their answers
/// as one v5 body; the first error as v5 states it.
async fn translated<S: ProxyStore>(state: &AppState<S>, call: &V5Call) -> Response {
    let mut bodies = Vec::new();
    for path_and_query in call.calls_2026() {
        match state.enedis.get(&path_and_query).await {
            Ok(answer) if answer.status == 200 => bodies.push(answer.body),
            Ok(answer) => {
                let (status, body) =
                    v5_error(answer.status, &String::from_utf8_lossy(&answer.body));
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
                return (status, [(header::CONTENT_TYPE, "application/json")], body)
                    .into_response();
            }
            Err(crate::upstream::UpstreamError::Throttled(wait)) => {
                return crate::too_many(
                    wait,
                    "the Enedis quota shared by every household is spent for now; retry later",
                )
            }
            Err(e) => {
                tracing::warn!(error = %e, "upstream call failed");
                return json_error(
                    StatusCode::BAD_GATEWAY,
                    "upstream_unavailable",
                    &e.to_string(),
                );
            }
        }
    }
    let texts: Vec<String> = bodies
        .iter()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    match call.v5_body(&refs) {
        Ok(body) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::VIA, "1.1 linky-proxy (v5 from 2026)"),
            ],
            body,
        )
            .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "a 2026 answer could not be translated");
            json_error(
                StatusCode::BAD_GATEWAY,
                "upstream_unreadable",
                "Enedis's answer could not be read; retry later",
            )
        }
    }
}

/// The contract answer with every personal field removed
/// ([`enedis_protocol::v2026::without_personal_data`]); an answer that is not JSON is not passed on.
pub fn without_personal_data(body: &[u8]) -> axum::body::Bytes {
    axum::body::Bytes::from(enedis_protocol::v2026::without_personal_data(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_list() {
        assert_eq!(
            allowed("/metering_data_clc/v5/consumption_load_curve"),
            Some(MeterIn::Query("usage_point_id"))
        );
        assert_eq!(
            allowed("/customers_upc/v5/usage_points/contracts"),
            Some(MeterIn::Query("usage_point_id"))
        );
        assert_eq!(
            allowed("/mesure_synchrone_auto/v2/courbe_de_charge_production"),
            Some(MeterIn::Query("pointId"))
        );
        assert_eq!(
            allowed("/comptage_auto/v1/12345678901234"),
            Some(MeterIn::Path)
        );
        for refused in [
            "/customers_i/v5/identity",
            "/customers_cd/v5/contact_data",
            "/customers_upa/v5/usage_points/addresses",
            "/oauth2/v3/token",
            "/subscribed_services/v1",
            "/comptage_auto/v1/123",
            "/comptage_auto/v1/12345678901234/x",
            "/_sim/requests",
            "/metering_data_clc/v5/../v5/consumption_load_curve",
        ] {
            assert_eq!(allowed(refused), None, "{refused}");
        }
    }
}
