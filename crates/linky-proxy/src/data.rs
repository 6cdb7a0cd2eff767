//! `GET /data/proxy/<Enedis path>`: the data calls, forwarded with the application's token once
//! the caller's token is known to cover the meter named in the request.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use enedis_protocol::customers::paths as customers;
use enedis_protocol::v2026::{contract_paths, Mesure};
use enedis_protocol::v5::Resource;
use linky_proxy_store::ProxyStore;

use crate::secrets::hash;
use crate::{internal, json_error, AppState};

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
    headers: HeaderMap,
) -> Response {
    let now = state.clock.now();
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        return unauthorized("Authorization: Bearer <access token> is missing");
    };
    let family = match state.store.access(&hash(token), now).await {
        Ok(Some(f)) => f,
        Ok(None) => {
            return unauthorized("the access token is unknown, expired or revoked; refresh it")
        }
        Err(e) => return internal(e),
    };
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
            let pairs: Vec<(String, String)> = match serde_urlencoded::from_str(&query) {
                Ok(p) => p,
                Err(_) => {
                    return json_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_request",
                        "the query string cannot be read",
                    )
                }
            };
            let mut values = pairs.into_iter().filter(|(k, _)| k == name).map(|(_, v)| v);
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
    let path_and_query = if query.is_empty() {
        path
    } else {
        format!("{path}?{query}")
    };
    match state.enedis.get(&path_and_query).await {
        Ok(answer) => {
            tracing::debug!(
                family = family.id,
                meter,
                status = answer.status,
                "forwarded"
            );
            let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_GATEWAY);
            let mut response = (status, answer.body).into_response();
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
