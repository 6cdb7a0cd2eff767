//! The sync's `MeterSource` over HTTP: through a proxy (tokens from `linky login`) or directly
//! with the user's own Enedis contract; in the 2026 generation, v5, or whichever answers.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use enedis_client::{Answer, ClientError, Credentials, EnedisClient, Gate, MinInterval};
use enedis_protocol::customers::{paths as customers, CustomerResponse};
use enedis_protocol::error::{EnedisError, ErrorKind};
use enedis_protocol::translate::unknown_path;
use enedis_protocol::v2026::{
    contract_paths, Comptage, Mesure, MesureResponse, SituationContrat, SyntheseContrat,
};
use enedis_protocol::v5::{MeterReading, Resource};
use linky_core::series::{ContractFacts, ContractPart, ContractRead, Kind, WindowData};
use linky_core::{Clock, Direction, UsagePoint};
use linky_sync::{FetchError, MeterSource, Window};
use tokio::sync::Mutex;

use crate::login::{DeviceFlow, LoginError};
use crate::tokens::{TokenFile, TokenFileError};

/// Which API generation to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generation {
    /// 2026 first; v5 if the 2026 paths are unknown where we ask.
    Auto,
    /// The 2026 generation only.
    V2026,
    /// v5 only (until the cut-off).
    V5,
}

/// How linky reaches Enedis.
#[derive(Clone)]
pub enum Access {
    /// Through a consent proxy, with the tokens `linky login` stored in this file.
    Proxy {
        /// The token file.
        tokens: PathBuf,
    },
    /// Through the Conso API gateway (conso.boris.sh), with the token copied from its site.
    ConsoApi {
        /// The gateway's base URL.
        url: String,
        /// The token (never logged).
        token: String,
        /// The meters and the end of the token, as it says.
        claims: enedis_protocol::conso_api::TokenClaims,
    },
    /// Directly, with the user's own Enedis application.
    Direct {
        /// Enedis API base URL.
        api_url: String,
        /// Client id.
        client_id: String,
        /// Client secret (never logged).
        client_secret: String,
    },
}

impl std::fmt::Debug for Access {
    // Tokens and secrets never reach a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Access::Proxy { tokens } => f.debug_struct("Proxy").field("tokens", tokens).finish(),
            Access::ConsoApi { url, claims, .. } => f
                .debug_struct("ConsoApi")
                .field("url", url)
                .field("meters", &claims.sub)
                .finish_non_exhaustive(),
            Access::Direct {
                api_url, client_id, ..
            } => f
                .debug_struct("Direct")
                .field("api_url", api_url)
                .field("client_id", client_id)
                .finish_non_exhaustive(),
        }
    }
}

/// The shared Enedis client of direct mode, paced with the rest of the source's calls.
type DirectClient = EnedisClient<Arc<MinInterval>>;

/// Enedis over HTTP.
pub struct EnedisSource {
    http: reqwest::Client,
    access: Access,
    tokens: Mutex<TokenFile>,
    /// Direct mode's application token and calls.
    direct: Option<DirectClient>,
    generation: Mutex<Generation>,
    clock: Arc<dyn Clock>,
    calls: AtomicU32,
    /// The original DomoticzLinky proxy wants `usage_point_id` in every data query, whatever
    /// the API generation behind it.
    original_proxy: bool,
    /// Every request waits its turn here (Enedis allows 5 a second to a whole application).
    pace: Arc<MinInterval>,
}

fn transport(e: reqwest::Error) -> FetchError {
    if e.is_timeout() {
        return FetchError::TimedOut(e.without_url().to_string());
    }
    FetchError::Transport(e.without_url().to_string())
}

fn client_error(e: ClientError) -> FetchError {
    match e {
        ClientError::TimedOut(_) => FetchError::TimedOut(e.to_string()),
        ClientError::CredentialsRefused(_) => FetchError::Unauthorized(e.to_string()),
        ClientError::Unreadable(_) => FetchError::Unreadable(e.to_string()),
        ClientError::Transport(_) | ClientError::TooLarge(_) | ClientError::Throttled(_) => {
            FetchError::Transport(e.to_string())
        }
    }
}

/// Direct mode's client of Enedis, with the source's HTTP client, clock and pace.
fn direct_client(
    access: &Access,
    http: &reqwest::Client,
    clock: &Arc<dyn Clock>,
    pace: &Arc<MinInterval>,
) -> Option<DirectClient> {
    let Access::Direct {
        api_url,
        client_id,
        client_secret,
    } = access
    else {
        return None;
    };
    let credentials = Credentials {
        client_id: client_id.clone(),
        client_secret: client_secret.clone(),
    };
    Some(EnedisClient::new(
        http.clone(),
        api_url,
        credentials,
        clock.clone(),
        pace.clone(),
    ))
}

fn resource(kind: Kind, direction: Direction) -> Resource {
    match (kind, direction) {
        (Kind::Curve, Direction::Consumption) => Resource::ConsumptionLoadCurve,
        (Kind::Curve, Direction::Production) => Resource::ProductionLoadCurve,
        (Kind::Daily, Direction::Consumption) => Resource::DailyConsumption,
        (Kind::Daily, Direction::Production) => Resource::DailyProduction,
        (Kind::MaxPower, _) => Resource::ConsumptionMaxPower,
    }
}

fn date_prefix(text: &str) -> Option<NaiveDate> {
    text.get(..10)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
}

impl EnedisSource {
    /// Through a proxy, with the token file of `linky login`.
    pub fn proxy(
        tokens: PathBuf,
        generation: Generation,
        clock: Arc<dyn Clock>,
    ) -> Result<EnedisSource, TokenFileError> {
        let file = TokenFile::load(&tokens)?;
        let original_proxy = file
            .families
            .iter()
            .any(|f| f.client_id == crate::profiles::DOMOTICZLINKY.client_id);
        Ok(EnedisSource {
            original_proxy,
            ..EnedisSource::new(Access::Proxy { tokens }, file, generation, clock)
        })
    }

    /// Through the Conso API gateway at `url` with a token from its site; the 2026 generation
    /// (the gateway's v5 types ended with Enedis's v5).
    pub fn conso_api(
        url: &str,
        token: &str,
        clock: Arc<dyn Clock>,
    ) -> Result<EnedisSource, enedis_protocol::conso_api::TokenError> {
        let claims = enedis_protocol::conso_api::read_claims(token)?;
        let access = Access::ConsoApi {
            url: url.trim_end_matches('/').to_owned(),
            token: token.trim().to_owned(),
            claims,
        };
        Ok(EnedisSource::new(
            access,
            TokenFile::default(),
            Generation::V2026,
            clock,
        ))
    }

    /// Directly with the user's own Enedis application.
    pub fn direct(
        api_url: &str,
        client_id: &str,
        client_secret: &str,
        generation: Generation,
        clock: Arc<dyn Clock>,
    ) -> EnedisSource {
        let access = Access::Direct {
            api_url: api_url.trim_end_matches('/').to_owned(),
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
        };
        EnedisSource::new(access, TokenFile::default(), generation, clock)
    }

    fn new(
        access: Access,
        tokens: TokenFile,
        generation: Generation,
        clock: Arc<dyn Clock>,
    ) -> EnedisSource {
        let http = crate::http_client().unwrap_or_default();
        let pace = Arc::new(MinInterval::new(std::time::Duration::from_millis(250)));
        EnedisSource {
            direct: direct_client(&access, &http, &clock, &pace),
            http,
            access,
            tokens: Mutex::new(tokens),
            generation: Mutex::new(generation),
            clock,
            calls: AtomicU32::new(0),
            original_proxy: false,
            pace,
        }
    }

    /// How this source reaches Enedis.
    pub fn access(&self) -> &Access {
        &self.access
    }

    /// Keeps at least `interval` between two requests (Enedis allows 5 per second to a whole
    /// application: the default is 4 per second). Every request counts, contract reads included.
    pub fn with_min_interval(self, interval: std::time::Duration) -> EnedisSource {
        let pace = Arc::new(MinInterval::new(interval));
        EnedisSource {
            direct: direct_client(&self.access, &self.http, &self.clock, &pace),
            pace,
            ..self
        }
    }

    /// Gives up on a request after `total` (connection included; the default is 60 s).
    pub fn with_timeout(self, total: std::time::Duration) -> EnedisSource {
        let http = crate::http_client_with(total).unwrap_or_default();
        EnedisSource {
            direct: direct_client(&self.access, &http, &self.clock, &self.pace),
            http,
            ..self
        }
    }

    /// The meters the tokens cover (proxy mode and Conso API).
    pub async fn meters(&self) -> Vec<String> {
        if let Access::ConsoApi { claims, .. } = &self.access {
            return claims.sub.clone();
        }
        self.tokens.lock().await.meters()
    }

    /// When each meter's consent ends, as the proxy said (proxy mode), or when the Conso API
    /// token ends.
    pub async fn consent_ends(&self) -> Vec<(String, Option<DateTime<Utc>>)> {
        if let Access::ConsoApi { claims, .. } = &self.access {
            let end = DateTime::from_timestamp(claims.exp, 0).filter(|_| claims.exp > 0);
            return claims.sub.iter().map(|m| (m.clone(), end)).collect();
        }
        let tokens = self.tokens.lock().await;
        tokens
            .families
            .iter()
            .flat_map(|f| {
                f.meters
                    .iter()
                    .map(move |m| (m.clone(), f.consent_expires_at))
            })
            .collect()
    }

    /// Base URL and bearer token for a call about `pdl`; refreshes expiring proxy tokens.
    async fn auth(&self, pdl: &str, force: bool) -> Result<(String, String), FetchError> {
        match &self.access {
            Access::ConsoApi { url, token, .. } => Ok((
                format!(
                    "{url}{}",
                    enedis_protocol::conso_api::API_PREFIX.trim_end_matches('/')
                ),
                token.clone(),
            )),
            Access::Direct { .. } => {
                let client = self.direct.as_ref().ok_or_else(|| {
                    FetchError::Transport("direct mode has no HTTP client".to_owned())
                })?;
                let token = client.app_token(force).await.map_err(client_error)?;
                Ok((client.base().to_owned(), token))
            }
            Access::Proxy { tokens: path } => {
                let mut file = self.tokens.lock().await;
                let index = file.family_of(pdl).ok_or_else(|| {
                    FetchError::Unauthorized(format!(
                        "no token covers meter {pdl}; run `linky login` to give consent for it"
                    ))
                })?;
                let now = self.clock.now();
                let family = &file.families[index];
                if force || family.expires_at - Duration::minutes(10) <= now {
                    let flow = DeviceFlow {
                        http: &self.http,
                        proxy_url: &family.proxy_url,
                        client_id: &family.client_id,
                    };
                    let renewed = flow.refresh(family, now).await.map_err(|e| match e {
                        LoginError::Refused(_) => {
                            FetchError::Unauthorized(format!("{e}; run `linky login` again"))
                        }
                        // Nothing was refused: the run retries soon, with the same token.
                        other => FetchError::Transport(other.to_string()),
                    })?;
                    file.families[index] = renewed;
                    if let Err(e) = file.save(path) {
                        // The proxy has rotated the tokens: this run goes on with the new ones,
                        // kept in memory, and each later renewal tries to save again.
                        tracing::error!(error = %e, "the renewed tokens could not be saved; free some space or fix the permissions of the data folder");
                    }
                }
                let family = &file.families[index];
                Ok((
                    format!("{}/data/proxy", family.proxy_url.trim_end_matches('/')),
                    family.access_token.clone(),
                ))
            }
        }
    }

    /// GET with the right token; refreshes once on 401.
    async fn get(&self, pdl: &str, path_and_query: &str) -> Result<(u16, String), FetchError> {
        let with_meter;
        let path_and_query = if self.original_proxy && !path_and_query.contains("usage_point_id=") {
            let joint = if path_and_query.contains('?') {
                '&'
            } else {
                '?'
            };
            with_meter = format!("{path_and_query}{joint}usage_point_id={pdl}");
            with_meter.as_str()
        } else {
            path_and_query
        };
        let mut force = false;
        loop {
            let (base, token) = self.auth(pdl, force).await?;
            // The source's pace never refuses a turn.
            let _ = self.pace.acquire().await;
            self.calls.fetch_add(1, Ordering::Relaxed);
            let r = self
                .http
                .get(format!("{base}{path_and_query}"))
                .bearer_auth(&token)
                .header(reqwest::header::ACCEPT, "application/json")
                .send()
                .await
                .map_err(transport)?;
            let answer = Answer::read(r, crate::MAX_ANSWER_BYTES)
                .await
                .map_err(client_error)?;
            let (status, retry_after, www) = (
                answer.status,
                answer.retry_after,
                answer.www_authenticate.clone(),
            );
            let mut body = answer.text();
            // The query holds only the meter and dates; the token stays out of the logs.
            tracing::debug!(
                path = path_and_query.split('?').next().unwrap_or_default(),
                status,
                bytes = body.len(),
                "Enedis call"
            );
            if status == 429 {
                body =
                    enedis_protocol::error::with_retry_after(body, retry_after, self.clock.now());
            }
            if status == 401 && matches!(self.access, Access::ConsoApi { .. }) {
                return Err(FetchError::Unauthorized(
                    "the Conso API refused the token (invalid, expired, or not for this meter); consent again on conso.boris.sh and run `linky login --conso-api <new token>`".to_owned(),
                ));
            }
            if status == 401 && !force {
                force = true;
                continue;
            }
            if status == 401 {
                return Err(FetchError::Unauthorized(
                    EnedisError::from_response(status, &body, www.as_deref()).description,
                ));
            }
            return Ok((status, body));
        }
    }

    fn query(&self, generation: Generation, resource: Resource, window: &Window) -> String {
        let (start, end) = (
            window.start.format("%Y-%m-%d").to_string(),
            window.end.format("%Y-%m-%d").to_string(),
        );
        if let Access::ConsoApi { .. } = self.access {
            return format!(
                "/{}?pointId={}&dateDebut={start}&dateFin={end}",
                enedis_protocol::conso_api::type_name(Mesure::from_v5(resource)),
                window.pdl
            );
        }
        match generation {
            Generation::V5 => format!(
                "{}?start={start}&end={end}&usage_point_id={}",
                resource.path(),
                window.pdl
            ),
            _ => format!(
                "{}?pointId={}&dateDebut={start}&dateFin={end}",
                Mesure::from_v5(resource).path(),
                window.pdl
            ),
        }
    }

    fn parse(
        generation: Generation,
        window: &Window,
        body: &str,
    ) -> Result<WindowData, FetchError> {
        let bad = |e: enedis_protocol::ProtocolError| FetchError::Unreadable(e.to_string());
        let wrong_meter = |got: &str| {
            FetchError::Unreadable(format!(
                "the answer is about meter {got}, not {}",
                window.pdl
            ))
        };
        if window.kind == Kind::Curve {
            // The bulk of a sync: read without copying strings.
            let (pdl, curve) = if generation == Generation::V5 {
                enedis_protocol::v5::load_curve_from_json(body)
            } else {
                enedis_protocol::v2026::load_curve_from_json(body)
            }
            .map_err(bad)?;
            if pdl != window.pdl.as_str() {
                return Err(wrong_meter(&pdl));
            }
            return Ok(WindowData::Curve(curve.points().to_vec()));
        }
        if generation == Generation::V5 {
            let r = MeterReading::from_json(body).map_err(bad)?;
            if r.usage_point_id != window.pdl.as_str() {
                return Err(wrong_meter(&r.usage_point_id));
            }
            return Ok(match window.kind {
                Kind::Curve => WindowData::Curve(r.to_load_curve().map_err(bad)?.points().to_vec()),
                Kind::Daily => WindowData::Daily(r.to_daily_energy().map_err(bad)?),
                Kind::MaxPower => WindowData::Peaks(r.to_max_power().map_err(bad)?),
            });
        }
        let r = MesureResponse::from_json(body).map_err(bad)?;
        if r.id_prm != window.pdl.as_str() {
            return Err(wrong_meter(&r.id_prm));
        }
        Ok(match window.kind {
            Kind::Curve => WindowData::Curve(r.to_load_curve().map_err(bad)?.points().to_vec()),
            Kind::Daily => WindowData::Daily(r.to_daily_energy().map_err(bad)?),
            Kind::MaxPower => WindowData::Peaks(r.to_max_power().map_err(bad)?),
        })
    }

    /// An error body, in the gateway's shape when the Conso API answered.
    fn read_error(&self, status: u16, body: &str) -> EnedisError {
        match self.access {
            Access::ConsoApi { .. } => enedis_protocol::conso_api::read_error(status, body),
            _ => EnedisError::from_response(status, body, None),
        }
    }

    async fn current_generation(&self) -> Generation {
        *self.generation.lock().await
    }

    async fn fall_back_to_v5(&self) {
        tracing::info!("the 2026 paths are not served here; using v5");
        *self.generation.lock().await = Generation::V5;
    }

    /// One part of the 2026 contract, or `None` when the 2026 paths are unknown here.
    async fn contract_2026(
        &self,
        pdl: &UsagePoint,
        part: ContractPart,
    ) -> Result<Option<ContractRead>, FetchError> {
        let path = match part {
            ContractPart::OffPeak => contract_paths::COMPTAGE,
            ContractPart::Activation => contract_paths::SYNTHESE,
            ContractPart::Power => contract_paths::SITUATION,
        };
        let (status, body) = self.get(pdl.as_str(), &format!("{path}/{pdl}")).await?;
        if unknown_path(status, &body) {
            return Ok(None);
        }
        let body = if status == 200 {
            Some(body)
        } else if status == 403 && part == ContractPart::OffPeak {
            // `comptage_auto` is sold apart: an application without it gets 403 whatever the
            // consent. Read as "no off-peak hours from the contract", never as a lost consent
            // (a consent really lost shows on the data calls too).
            tracing::info!(%pdl, "the contract's off-peak hours are not available to this application (403 on comptage_auto); set offpeak.schedule");
            None
        } else {
            let error = EnedisError::from_response(status, &body, None);
            match error.kind() {
                // A definitive "this meter has no such part": read, and empty.
                ErrorKind::NoData | ErrorKind::WrongDirection | ErrorKind::BeforeActivation => None,
                _ => return Err(FetchError::Enedis(error)),
            }
        };
        let unreadable =
            |what: &str, e: serde_json::Error| FetchError::Unreadable(format!("{what}: {e}"));
        let mut facts = ContractFacts::default();
        if let Some(body) = body {
            match part {
                ContractPart::OffPeak => {
                    let comptage: Comptage =
                        serde_json::from_str(&body).map_err(|e| unreadable("comptage", e))?;
                    facts.offpeak = comptage.relais.plage_heures_creuses;
                }
                ContractPart::Activation => {
                    let synthese: SyntheseContrat =
                        serde_json::from_str(&body).map_err(|e| unreadable("synth_contrat", e))?;
                    let (consumption, generation) = (
                        synthese.consumption_last_activation_date.as_deref(),
                        synthese.generation_last_activation_date.as_deref(),
                    );
                    facts.activation_date = consumption.or(generation).and_then(date_prefix);
                    // A direction is measured from its activation; one without is not.
                    let directions: Vec<Direction> = [
                        (consumption, Direction::Consumption),
                        (generation, Direction::Production),
                    ]
                    .into_iter()
                    .filter_map(|(date, direction)| date.map(|_| direction))
                    .collect();
                    facts.directions = (!directions.is_empty()).then_some(directions);
                }
                ContractPart::Power => {
                    let situation: Vec<SituationContrat> = serde_json::from_str(&body)
                        .map_err(|e| unreadable("situation_contrat", e))?;
                    facts.subscribed_kva = situation
                        .first()
                        .and_then(|c| c.subscribed_power.value.parse().ok());
                }
            }
        }
        Ok(Some(ContractRead {
            facts,
            parts: vec![part],
        }))
    }

    /// The v5 contract: every part in one call.
    async fn contract_v5(&self, pdl: &UsagePoint) -> Result<ContractRead, FetchError> {
        let (status, body) = self
            .get(
                pdl.as_str(),
                &format!("{}?usage_point_id={pdl}", customers::CONTRACTS),
            )
            .await?;
        if status != 200 {
            return Err(FetchError::Enedis(EnedisError::from_response(
                status, &body, None,
            )));
        }
        let r: CustomerResponse =
            serde_json::from_str(&body).map_err(|e| FetchError::Unreadable(e.to_string()))?;
        let contract = r
            .customer
            .usage_points
            .into_iter()
            .find_map(|u| u.contracts)
            .ok_or_else(|| FetchError::Unreadable("no contract in the answer".to_owned()))?;
        Ok(ContractRead {
            facts: ContractFacts {
                activation_date: contract.activation_date().ok(),
                subscribed_kva: contract.subscribed_kva().ok(),
                offpeak: contract.offpeak_hours,
                directions: None,
            },
            parts: ContractPart::ALL.to_vec(),
        })
    }

    /// The whole contract, every part (`linky doctor`: up to three calls on the 2026 API).
    pub async fn whole_contract(&self, pdl: &UsagePoint) -> Result<ContractFacts, FetchError> {
        let mut facts = ContractFacts::default();
        for part in ContractPart::ALL {
            let read = self.contract(pdl, part).await?;
            facts.offpeak = facts.offpeak.or(read.facts.offpeak);
            facts.activation_date = facts.activation_date.or(read.facts.activation_date);
            facts.subscribed_kva = facts.subscribed_kva.or(read.facts.subscribed_kva);
            facts.directions = facts.directions.or(read.facts.directions);
            if read.parts.len() == ContractPart::ALL.len() {
                break;
            }
        }
        Ok(facts)
    }
}

impl MeterSource for EnedisSource {
    async fn fetch(&self, window: &Window) -> Result<WindowData, FetchError> {
        let resource = resource(window.kind, window.direction);
        loop {
            let generation = self.current_generation().await;
            let (status, body) = self
                .get(
                    window.pdl.as_str(),
                    &self.query(generation, resource, window),
                )
                .await?;
            if generation == Generation::Auto && unknown_path(status, &body) {
                self.fall_back_to_v5().await;
                continue;
            }
            if status != 200 {
                return Err(FetchError::Enedis(self.read_error(status, &body)));
            }
            return EnedisSource::parse(generation, window, &body);
        }
    }

    async fn contract(
        &self,
        pdl: &UsagePoint,
        part: ContractPart,
    ) -> Result<ContractRead, FetchError> {
        if let Access::ConsoApi { .. } = self.access {
            // The gateway serves no contract: the off-peak schedule comes from the settings.
            return Ok(ContractRead {
                facts: ContractFacts::default(),
                parts: ContractPart::ALL.to_vec(),
            });
        }
        if self.current_generation().await != Generation::V5 {
            if let Some(read) = self.contract_2026(pdl, part).await? {
                return Ok(read);
            }
            if self.current_generation().await == Generation::V2026 {
                return Err(FetchError::Unreadable(
                    "the 2026 contract paths are not served".to_owned(),
                ));
            }
            self.fall_back_to_v5().await;
        }
        self.contract_v5(pdl).await
    }

    fn calls(&self) -> u32 {
        self.calls.load(Ordering::Relaxed) + self.direct.as_ref().map_or(0, DirectClient::calls)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_secret_in_debug() {
        let direct = Access::Direct {
            api_url: "https://enedis".into(),
            client_id: "id".into(),
            client_secret: "s3cret-value".into(),
        };
        let conso = Access::ConsoApi {
            url: "https://conso".into(),
            token: "header.payload.signature-value".into(),
            claims: enedis_protocol::conso_api::TokenClaims {
                sub: vec!["12345678901234".into()],
                iat: 0,
                exp: 0,
            },
        };
        let shown = format!("{direct:?} {conso:?}");
        assert!(
            !shown.contains("s3cret-value") && !shown.contains("signature-value"),
            "{shown}"
        );
        assert!(shown.contains("12345678901234"));
    }
}
