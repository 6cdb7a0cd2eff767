//! `linky doctor`: checks the configuration, the store, the proxy or Enedis, the tokens and
//! consent, each meter (contract, hourly collection, production), the clock; each problem comes
//! with what to do.

use std::fmt::Write;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use enedis_protocol::error::ErrorKind;
use linky_core::{paris, Clock, Direction, Lang, Localized, UsagePoint};
use linky_enedis::tokens::TokenFile;
use linky_store::{Kind, Store, StoreError};
use linky_sync::{FetchError, MeterSource, SyncSettings, Window};

use super::{CommandError, CommandResult, Message, Paths};
use crate::settings::Settings;

struct Checks {
    lang: Lang,
    text: String,
    problems: u32,
}

impl Checks {
    fn ok(&mut self, fr: &str, en: &str) {
        let _ = writeln!(
            self.text,
            "[ok] {}",
            if self.lang == Lang::Fr { fr } else { en }
        );
    }

    fn info(&mut self, fr: &str, en: &str) {
        let _ = writeln!(
            self.text,
            "[i]  {}",
            if self.lang == Lang::Fr { fr } else { en }
        );
    }

    fn problem(&mut self, what: (&str, &str), todo: (&str, &str)) {
        self.problems += 1;
        let (w, t) = if self.lang == Lang::Fr {
            (what.0, todo.0)
        } else {
            (what.1, todo.1)
        };
        let _ = writeln!(self.text, "[!!] {w}\n     → {t}");
    }
}

/// What the user should do about an Enedis error (shared/reference/enedis.md §2, as actions).
fn action(e: &FetchError) -> (String, String) {
    let (fr, en) = match e.kind() {
        ErrorKind::ConsentLost => ("redonnez votre consentement avec `linky login` (Enedis ne le trouve plus : révoqué, expiré ou déménagement)", "give your consent again with `linky login` (Enedis no longer finds it: revoked, expired, or you moved)"),
        ErrorKind::InvalidToken => ("relancez `linky login` : les jetons ne sont plus acceptés", "run `linky login` again: the tokens are no longer accepted"),
        ErrorKind::Quota => ("attendez : le quota d'appels Enedis est atteint, linky réessaiera", "wait: the Enedis call quota is reached, linky will try again"),
        ErrorKind::Unavailable => ("réessayez plus tard : Enedis ou le proxy ne répond pas (panne, maintenance ou réseau)", "try again later: Enedis or the proxy is not answering (outage, maintenance or network)"),
        ErrorKind::NoData => ("activez la collecte horaire sur votre compte Enedis (« Gérer l'accès à mes données ») et attendez 48 h", "enable hourly collection on your Enedis account (\"Manage access to my data\") and wait 48 h"),
        ErrorKind::BeforeActivation => ("rien avant la mise en service du compteur : c'est normal", "nothing before the meter was put in service: this is normal"),
        _ => ("vérifiez le numéro du compteur et votre contrat sur le site d'Enedis", "check the meter number and your contract on the Enedis website"),
    };
    (fr.to_owned(), en.to_owned())
}

async fn reachable(http: &reqwest::Client, base: &str) -> Result<Option<DateTime<Utc>>, String> {
    let base = base.trim_end_matches('/');
    let mut last = String::new();
    for path in ["/healthz", "/"] {
        match http.get(format!("{base}{path}")).send().await {
            Ok(r) => {
                let date = r
                    .headers()
                    .get(reqwest::header::DATE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|d| DateTime::parse_from_rfc2822(d).ok())
                    .map(|d| d.to_utc());
                return Ok(date);
            }
            Err(e) => last = e.without_url().to_string(),
        }
    }
    Err(last)
}

/// `linky doctor`.
pub async fn run(
    settings: &Settings,
    paths: &Paths,
    lang: Lang,
    clock: Arc<dyn Clock>,
    repair: bool,
) -> CommandResult {
    let mut c = Checks {
        lang,
        text: String::new(),
        problems: 0,
    };
    c.ok("réglages valides", "settings valid");

    // The store: repaired first when asked, then checked whole.
    if repair {
        match Store::repair(&paths.store(), clock.now()) {
            Ok(report) => {
                let kept: Vec<String> = report
                    .kept
                    .iter()
                    .map(|(t, n)| format!("{t} ({n})"))
                    .collect();
                let aside = report
                    .set_aside
                    .as_ref()
                    .map_or_else(String::new, |p| p.display().to_string());
                c.ok(
                    &format!("réparé : ancien fichier mis de côté ({aside}) ; gardé : {} ; à redemander à Enedis au prochain `linky sync` : {}", kept.join(", "), if report.lost.is_empty() { "rien".to_owned() } else { report.lost.join(", ") }),
                    &format!("repaired: old file set aside ({aside}); kept: {}; fetched again from Enedis at the next `linky sync`: {}", kept.join(", "), if report.lost.is_empty() { "nothing".to_owned() } else { report.lost.join(", ") }),
                );
            }
            Err(e) => c.problem(
                (
                    &format!("réparation impossible : {}", e.localized(Lang::Fr)),
                    "voyez le message ci-dessus",
                ),
                (&format!("repair failed: {e}"), "see the message above"),
            ),
        }
    }
    let store = match Store::open_checked(&paths.store()) {
        Ok(s) => {
            c.ok(
                &format!("données : {}", paths.store().display()),
                &format!("data: {}", paths.store().display()),
            );
            Some(s)
        }
        Err(e @ StoreError::Damaged(_)) => {
            c.problem(
                (&e.localized(Lang::Fr), "lancez `linky doctor --repair`"),
                (&e.to_string(), "run `linky doctor --repair`"),
            );
            None
        }
        Err(e) => {
            c.problem(
                (
                    &format!("données illisibles : {}", e.localized(Lang::Fr)),
                    &format!("data unreadable: {e}"),
                ),
                (
                    &format!("vérifiez les droits de {}", paths.dir.display()),
                    &format!("check the permissions of {}", paths.dir.display()),
                ),
            );
            None
        }
    };

    // The way to Enedis.
    let http = linky_enedis::http_client().map_err(|e| Message {
        fr: e.clone(),
        en: e,
    })?;
    let mut server_time = None;
    let conso_api = super::sync::conso_api(settings, paths).ok().flatten();
    let base = match (&settings.direct.api_url, conso_api) {
        (Some(url), _) => Some(url.clone()),
        (None, Some((url, _))) => Some(url),
        (None, None) => match TokenFile::load(&paths.tokens()) {
            Ok(t) if !t.families.is_empty() => Some(t.families[0].proxy_url.clone()),
            Ok(_) => {
                c.problem(
                    ("aucun consentement enregistré", "no consent stored"),
                    (
                        "lancez `linky init` (ou `linky login --conso-api <jeton>`, `linky login --proxy <adresse>`)",
                        "run `linky init` (or `linky login --conso-api <token>`, `linky login --proxy <address>`)",
                    ),
                );
                None
            }
            Err(e) => {
                c.problem(
                    (&format!("{e}"), &format!("{e}")),
                    ("relancez `linky login`", "run `linky login` again"),
                );
                None
            }
        },
    };
    if let Some(base) = &base {
        match reachable(&http, base).await {
            Ok(date) => {
                server_time = date;
                c.ok(&format!("{base} répond"), &format!("{base} answers"));
            }
            Err(e) => c.problem(
                (&format!("{base} injoignable ({e})"), &format!("{base} unreachable ({e})")),
                ("vérifiez l'adresse (réglage proxy, conso_api.url ou direct.api_url) et la connexion réseau", "check the address (proxy, conso_api.url or direct.api_url setting) and the network connection"),
            ),
        }
    }

    // Each meter.
    let source = if base.is_some() {
        super::sync::source(settings, paths, clock.clone())
            .await
            .ok()
    } else {
        None
    };
    if let Some((source, meters)) = &source {
        let last = SyncSettings::default().last_published(paris::local(clock.now()));
        for pdl in meters {
            check_meter(&mut c, source, store.as_ref(), pdl, last, clock.now()).await;
        }
    }

    // The machine's own clock against the server's `Date`: the system clock, not the injected
    // one, since it is the machine that is being checked.
    match server_time {
        Some(t) => {
            let skew = (Utc::now() - t).num_seconds().abs();
            if skew > 300 {
                c.problem(
                    (
                        &format!(
                            "l'horloge de cette machine est décalée de {} min",
                            skew / 60
                        ),
                        &format!("this machine's clock is off by {} min", skew / 60),
                    ),
                    (
                        "activez la synchronisation de l'heure (timedatectl set-ntp true)",
                        "turn on time synchronisation (timedatectl set-ntp true)",
                    ),
                );
            } else {
                c.ok("horloge à l'heure", "clock on time");
            }
        }
        None => c.info(
            "horloge non vérifiée (pas de serveur joignable)",
            "clock not checked (no server reachable)",
        ),
    }
    let local = paris::local(clock.now()).format("%Y-%m-%d %H:%M");
    c.info(
        &format!("toutes les dates sont en heure de Paris (il est {local} à Paris)"),
        &format!("every date is in Paris time (it is {local} in Paris)"),
    );

    if c.problems == 0 {
        Ok(c.text)
    } else {
        crate::report::text_out(&c.text);
        Err(CommandError::failed(Message {
            fr: format!("{} problème(s) trouvé(s)", c.problems),
            en: format!("{} problem(s) found", c.problems),
        }))
    }
}

async fn check_meter(
    c: &mut Checks,
    source: &linky_enedis::EnedisSource,
    store: Option<&Store>,
    pdl: &UsagePoint,
    last: chrono::NaiveDate,
    now: DateTime<Utc>,
) {
    match source.whole_contract(pdl).await {
        Ok(facts) => {
            let since = facts
                .activation_date
                .map_or_else(|| "?".into(), |d| d.to_string());
            let kva = facts
                .subscribed_kva
                .map_or_else(|| "?".into(), |k| k.to_string());
            c.ok(
                &format!(
                    "{pdl} : contrat lu (mise en service {since}, {kva} kVA, heures creuses {})",
                    facts.offpeak.as_deref().unwrap_or("aucune")
                ),
                &format!(
                    "{pdl}: contract read (in service since {since}, {kva} kVA, off-peak hours {})",
                    facts.offpeak.as_deref().unwrap_or("none")
                ),
            )
        }
        Err(e) if e.kind() == ErrorKind::ConsentLost || e.kind() == ErrorKind::InvalidToken => {
            let (fr, en) = action(&e);
            c.problem(
                (
                    &format!("{pdl} : accès refusé ({e})"),
                    &format!("{pdl}: access refused ({e})"),
                ),
                (&fr, &en),
            );
            return;
        }
        Err(e) => c.info(
            &format!("{pdl} : contrat non lu ({e})"),
            &format!("{pdl}: contract not read ({e})"),
        ),
    }
    let window = |direction, kind| Window {
        pdl: pdl.clone(),
        direction,
        kind,
        start: last - Duration::days(6),
        end: last + Duration::days(1),
    };
    let daily = source
        .fetch(&window(Direction::Consumption, Kind::Daily))
        .await;
    let curve = source
        .fetch(&window(Direction::Consumption, Kind::Curve))
        .await;
    match (&daily, &curve) {
        (Ok(_), Ok(_)) => c.ok(&format!("{pdl} : consommation et courbe de charge disponibles"), &format!("{pdl}: consumption and load curve available")),
        (Ok(_), Err(e)) if e.kind() == ErrorKind::NoData => c.problem(
            (&format!("{pdl} : la courbe de charge (données horaires) n'est pas collectée"), &format!("{pdl}: the load curve (hourly data) is not collected")),
            ("activez la collecte horaire sur votre compte Enedis (« Gérer l'accès à mes données ») et attendez 48 h", "enable hourly collection on your Enedis account (\"Manage access to my data\") and wait 48 h"),
        ),
        (Err(e), _) if e.kind() == ErrorKind::WrongDirection => c.info(&format!("{pdl} : pas de consommation (compteur de production)"), &format!("{pdl}: no consumption (a production meter)")),
        (Err(e), _) | (_, Err(e)) => {
            let (fr, en) = action(e);
            c.problem((&format!("{pdl} : {e}"), &format!("{pdl}: {e}")), (&fr, &en));
        }
    }
    match source
        .fetch(&window(Direction::Production, Kind::Daily))
        .await
    {
        Ok(_) => c.ok(
            &format!("{pdl} : production présente"),
            &format!("{pdl}: production present"),
        ),
        Err(e) if e.kind() == ErrorKind::WrongDirection => c.info(
            &format!("{pdl} : pas de production (normal sans panneaux solaires)"),
            &format!("{pdl}: no production (normal without solar panels)"),
        ),
        Err(e) => {
            let (fr, en) = action(&e);
            c.problem(
                (
                    &format!("{pdl} : production : {e}"),
                    &format!("{pdl}: production: {e}"),
                ),
                (&fr, &en),
            );
        }
    }
    if let Some(m) = store
        .and_then(|s| s.meters().ok())
        .and_then(|ms| ms.into_iter().find(|m| &m.pdl == pdl))
    {
        if let Some(end) = m.consent_ends_at {
            let left = (end - now).num_days();
            if left <= 30 {
                c.problem(
                    (
                        &format!("{pdl} : le consentement se termine dans {left} jours"),
                        &format!("{pdl}: the consent ends in {left} days"),
                    ),
                    (
                        "renouvelez-le avec `linky login`",
                        "renew it with `linky login`",
                    ),
                );
            } else {
                c.ok(
                    &format!("{pdl} : consentement jusqu'au {}", paris::local_date(end)),
                    &format!("{pdl}: consent until {}", paris::local_date(end)),
                );
            }
        }
    }
}
