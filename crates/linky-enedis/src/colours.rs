//! Tempo and EJP day colours over HTTP: EDF's public calendar, or RTE's Tempo API with the user's
//! application credentials. One call per calendar (plus RTE's token); answers bounded.

use chrono::{Duration, NaiveDate};
use day_colours::{edf, rte, ColourError};
use linky_core::tariff::DayColours;
use linky_core::{Lang, Localized, Secret};

/// A calendar answer is a few kilobytes a year: far more is refused.
const MAX_COLOURS_BYTES: usize = 1 << 20;

/// Where colours are asked.
#[derive(Debug, Clone)]
pub enum ColourService {
    /// EDF's public calendar (Tempo and EJP).
    Edf {
        /// `https://api-commerce.edf.fr`, or the simulator's address.
        base_url: String,
    },
    /// RTE's Tempo API (Tempo only).
    Rte {
        /// `https://digital.iservices.rte-france.com`, or the simulator's address.
        base_url: String,
        /// The application's client id.
        client_id: String,
        /// Its secret.
        client_secret: Secret,
    },
}

/// Which calendar to ask.
pub use edf::Calendar;

/// Colours could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum ColourFetchError {
    /// No answer.
    #[error("{0}")]
    Network(String),
    /// An answer that is not a calendar, or a refusal.
    #[error("HTTP {status}: {detail}")]
    Answer {
        /// HTTP status.
        status: u16,
        /// What the body said.
        detail: String,
    },
    /// RTE refused the application's credentials.
    #[error("RTE refuse les identifiants / RTE refused the credentials")]
    Credentials,
    /// RTE has no EJP calendar.
    #[error("RTE ne publie pas l'EJP / RTE does not publish EJP")]
    NoEjpAtRte,
}

impl Localized for ColourFetchError {
    fn localized(&self, lang: Lang) -> String {
        match self {
            ColourFetchError::Network(e) => lang.pick(
                format!("calendrier Tempo/EJP injoignable ({e}) : nouvel essai demain, les jours sans couleur sont comptés en bleu et marqués"),
                format!("Tempo/EJP calendar unreachable ({e}): another try tomorrow; days without a colour are priced as blue and marked"),
            ),
            ColourFetchError::Answer { status, detail } => lang.pick(
                format!("le calendrier Tempo/EJP répond HTTP {status} ({detail}) : nouvel essai demain"),
                format!("the Tempo/EJP calendar answered HTTP {status} ({detail}): another try tomorrow"),
            ),
            ColourFetchError::Credentials => lang.pick(
                "RTE refuse l'identifiant ou le secret de votre application : vérifiez tariff.rte_client_id et tariff.rte_client_secret, ou revenez à colours = \"edf\"".into(),
                "RTE refused your application's id or secret: check tariff.rte_client_id and tariff.rte_client_secret, or go back to colours = \"edf\"".into(),
            ),
            ColourFetchError::NoEjpAtRte => lang.pick(
                "RTE ne publie que Tempo : pour l'EJP, réglez tariff.colours = \"edf\"".into(),
                "RTE publishes Tempo only: for EJP, set tariff.colours = \"edf\"".into(),
            ),
        }
    }
}

impl ColourService {
    /// The longest range one call may ask.
    pub fn max_days(&self) -> i64 {
        match self {
            ColourService::Edf { .. } => 1_100,
            ColourService::Rte { .. } => rte::MAX_DAYS,
        }
    }

    /// The colours of the days from `from` to `to` (both included) that are published.
    pub async fn fetch(
        &self,
        http: &reqwest::Client,
        calendar: Calendar,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<DayColours, ColourFetchError> {
        let from = from.max(to - Duration::days(self.max_days() - 1));
        match self {
            ColourService::Edf { base_url } => {
                let mut request = http
                    .get(format!("{}{}", base_url.trim_end_matches('/'), edf::PATH))
                    .query(&edf::query(calendar, from, to));
                for (name, value) in edf::HEADERS {
                    request = request.header(name, value);
                }
                let body = answer(request).await?;
                edf::read(&body).map_err(invalid)
            }
            ColourService::Rte {
                base_url,
                client_id,
                client_secret,
            } => {
                if calendar == Calendar::Ejp {
                    return Err(ColourFetchError::NoEjpAtRte);
                }
                let base = base_url.trim_end_matches('/');
                let token = rte_token(http, base, client_id, client_secret).await?;
                let request = http
                    .get(format!("{base}{}", rte::CALENDARS_PATH))
                    .bearer_auth(token)
                    .query(&rte::query(from, to));
                let body = answer(request).await?;
                Ok(DayColours {
                    tempo: rte::read(&body).map_err(invalid)?,
                    ..DayColours::default()
                })
            }
        }
    }
}

fn invalid(e: ColourError) -> ColourFetchError {
    ColourFetchError::Answer {
        status: 200,
        detail: e.to_string(),
    }
}

async fn answer(request: reqwest::RequestBuilder) -> Result<Vec<u8>, ColourFetchError> {
    let response = request
        .send()
        .await
        .map_err(|e| ColourFetchError::Network(e.without_url().to_string()))?;
    let answer = enedis_client::Answer::read(response, MAX_COLOURS_BYTES)
        .await
        .map_err(|e| ColourFetchError::Network(e.to_string()))?;
    if answer.status != 200 {
        let detail: String = answer.text().chars().take(200).collect();
        return Err(ColourFetchError::Answer {
            status: answer.status,
            detail,
        });
    }
    Ok(answer.body)
}

async fn rte_token(
    http: &reqwest::Client,
    base: &str,
    client_id: &str,
    client_secret: &Secret,
) -> Result<String, ColourFetchError> {
    let request = http
        .post(format!("{base}{}", rte::TOKEN_PATH))
        .basic_auth(client_id, Some(client_secret.expose()))
        .form(&[("grant_type", "client_credentials")]);
    let body = match answer(request).await {
        Err(ColourFetchError::Answer {
            status: 400 | 401 | 403,
            ..
        }) => return Err(ColourFetchError::Credentials),
        other => other?,
    };
    serde_json::from_slice::<enedis_protocol::oauth::TokenAnswer>(&body)
        .map(|t| t.access_token)
        .map_err(|e| ColourFetchError::Answer {
            status: 200,
            detail: format!("token: {e}"),
        })
}
