//! `linky sync`: one pass, with progress bars on long backfills and a summary table.

use std::fmt::Write;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};
use linky_core::{Clock, Direction, Lang, Localized, UsagePoint};
use linky_enedis::{EnedisSource, Generation};
use linky_store::{Kind, Store};
use linky_sync::{Progress, RunSettings, Runner, Stop, SyncReport, SyncSettings, Window};

use super::{CommandError, CommandResult, Message, Paths};
use crate::settings::{Api, Settings};

/// A progress bar on stderr (hidden when stderr is not a terminal).
pub struct Bar(pub ProgressBar);

impl Progress for Bar {
    fn start(&self, total: usize) {
        self.0.set_length(total as u64);
        self.0.set_position(0);
    }
    fn advance(&self, window: &Window) {
        self.0.set_message(format!(
            "{} {} {}",
            window.pdl,
            window.kind.as_str(),
            window.start
        ));
        self.0.inc(1);
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

/// The run settings from linky's settings.
pub fn run_settings(s: &Settings) -> RunSettings {
    RunSettings {
        plan: SyncSettings {
            curve_days: s.sync.history_days,
            daily_days: s.sync.daily_days,
            max_power_days: s.sync.max_power_days,
            ..SyncSettings::default()
        },
        backoff_base: std::time::Duration::from_millis(s.sync.retry_base_ms),
        ..RunSettings::default()
    }
}

/// The API generation setting.
pub fn generation(s: &Settings) -> Result<Generation, CommandError> {
    Ok(match s.typed()?.api {
        Api::Auto => Generation::Auto,
        Api::V2026 => Generation::V2026,
        Api::V5 => Generation::V5,
    })
}

/// The source and meters the settings point to: direct mode when configured, else the proxy
/// tokens of `linky login`.
pub async fn source(
    settings: &Settings,
    paths: &Paths,
    clock: Arc<dyn Clock>,
) -> Result<(EnedisSource, Vec<UsagePoint>), CommandError> {
    let generation = generation(settings)?;
    let direct = &settings.direct;
    let (source, meters) = match (&direct.api_url, &direct.client_id) {
        (Some(url), Some(id)) => {
            let secret = direct
                .client_secret
                .as_ref()
                .map(|s| s.expose().to_owned())
                .unwrap_or_default();
            let meters = direct
                .meters
                .iter()
                .map(|m| m.parse::<UsagePoint>())
                .collect::<Result<Vec<_>, _>>()?;
            if meters.is_empty() {
                return Err(Message {
                    fr: "mode direct : donnez vos compteurs avec --meters (ou LINKY_METERS)".into(),
                    en: "direct mode: give your meters with --meters (or LINKY_METERS)".into(),
                }
                .into());
            }
            (
                EnedisSource::direct(url, id, &secret, generation, clock.clone()),
                meters,
            )
        }
        _ => {
            let source = match conso_api(settings, paths)? {
                Some((url, token)) => EnedisSource::conso_api(&url, &token, clock.clone())
                    .map_err(|e| Message {
                        fr: format!("jeton de l'API Conso illisible ({e}) ; recopiez-le depuis conso.boris.sh et lancez `linky login --conso-api <jeton>`"),
                        en: format!("unreadable Conso API token ({e}); copy it again from conso.boris.sh and run `linky login --conso-api <token>`"),
                    })?,
                None => EnedisSource::proxy(paths.tokens(), generation, clock.clone())?,
            };
            let meters = source
                .meters()
                .await
                .iter()
                .filter_map(|m| m.parse().ok())
                .collect::<Vec<UsagePoint>>();
            if meters.is_empty() {
                return Err(Message {
                    fr: "aucun compteur : lancez d'abord `linky init` (ou `linky login --conso-api <jeton>`, `linky login --proxy <adresse>`, ou le mode direct avec --enedis-api-url)".into(),
                    en: "no meter yet: run `linky init` first (or `linky login --conso-api <token>`, `linky login --proxy <address>`, or direct mode with --enedis-api-url)".into(),
                }
                .into());
            }
            (source, meters)
        }
    };
    // The Conso API is one free gateway for every user: at most one call a second there.
    let mut rate = settings.sync.max_rate.clamp(0.01, 1000.0);
    if matches!(source.access(), linky_enedis::Access::ConsoApi { .. }) {
        rate = rate.min(1.0);
    }
    Ok((
        source.with_min_interval(std::time::Duration::from_secs_f64(1.0 / rate)),
        meters,
    ))
}

/// The Conso API's address and token: the setting first, else what `linky login --conso-api`
/// kept in the token file.
pub fn conso_api(
    settings: &Settings,
    paths: &Paths,
) -> Result<Option<(String, String)>, CommandError> {
    if let Some(token) = &settings.conso_api.token {
        return Ok(Some((
            settings.conso_api.url.clone(),
            token.expose().to_owned(),
        )));
    }
    let file = linky_enedis::tokens::TokenFile::load(&paths.tokens())?;
    Ok(file.conso_api.map(|c| (c.url, c.token)))
}

/// One sync pass.
pub async fn once(
    settings: &Settings,
    paths: &Paths,
    clock: Arc<dyn Clock>,
    progress: &dyn Progress,
) -> Result<SyncReport, CommandError> {
    let (source, meters) = source(settings, paths, clock.clone()).await?;
    let mut store = Store::open_checked(&paths.store())?;
    for (pdl, ends) in source.consent_ends().await {
        if let Ok(pdl) = pdl.parse::<UsagePoint>() {
            store.add_meter(&pdl, clock.now())?;
            if ends.is_some() {
                store.set_consent(&pdl, ends)?;
            }
        }
    }
    let run_settings = run_settings(settings);
    let report = Runner::new(&mut store, &source, clock.as_ref(), &run_settings, progress)
        .run(&meters)
        .await?;
    // Tempo and EJP colours price the days; their calendars are not Enedis and never stop a
    // sync.
    let colours = super::colours::refresh(settings, &mut store, clock.now()).await?;
    for failure in &colours.failures {
        let text = match settings.language() {
            Some(lang) => failure.localized(lang),
            None => format!(
                "{} / {}",
                failure.localized(Lang::Fr),
                failure.localized(Lang::En)
            ),
        };
        crate::report::line_err(&format!("linky: {text}"));
    }
    // `linky status` counts missing days against what this sync was asked to hold.
    let plan = &run_settings.plan;
    store.set_sync_depth(linky_store::SyncDepth {
        curve_days: plan.curve_days,
        daily_days: plan.daily_days,
        max_power_days: plan.max_power_days,
    })?;
    Ok(report)
}

/// The depths the last sync was asked for, if one ran.
pub fn last_depth(store: &Store) -> Option<(u32, u32, u32)> {
    let d = store.sync_depth().ok()??;
    Some((d.curve_days, d.daily_days, d.max_power_days))
}

/// `linky sync`.
pub async fn run(
    settings: &Settings,
    paths: &Paths,
    lang: Lang,
    clock: Arc<dyn Clock>,
) -> CommandResult {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let report = once(settings, paths, clock.clone(), &Bar(bar)).await?;
    let mut text = summary(&report, lang);
    // The sync's data is safe in the store whatever Domoticz does: a failed push is told and
    // the next sync sends what is missing.
    match super::domoticz::push_all(settings, paths, clock.as_ref(), false).await {
        Ok(Some(pushed)) => text.push_str(&super::domoticz::summary(&pushed, lang)),
        Ok(None) => {}
        Err(e) => {
            crate::report::text_out(&text);
            return Err(e);
        }
    }
    match problem(&report) {
        None => Ok(text),
        Some(message) => {
            crate::report::text_out(&text);
            Err(CommandError::failed(message))
        }
    }
}

/// What went wrong in a run, for the user.
pub fn problem(report: &SyncReport) -> Option<Message> {
    if let Some(stop) = &report.stopped {
        return Some(match stop {
            Stop::Quota(until) => {
                let at = until
                    .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                    .unwrap_or_default();
                Message {
                    fr: format!(
                        "quota Enedis atteint {at} : la suite sera téléchargée au prochain passage"
                    ),
                    en: format!("Enedis quota reached {at}: the rest comes at the next run"),
                }
            }
            Stop::Unauthorized(e) => Message {
                fr: format!("accès refusé ({e}) : relancez `linky login`"),
                en: format!("access refused ({e}): run `linky login` again"),
            },
            Stop::Unavailable(e) => Message {
                fr: format!(
                    "Enedis ne répond pas correctement ({e}) : nouvel essai au prochain passage"
                ),
                en: format!("Enedis is failing ({e}): another try at the next run"),
            },
        });
    }
    if !report.consent_lost.is_empty() {
        let meters = report
            .consent_lost
            .iter()
            .map(|(p, why)| format!("{p} ({why})"))
            .collect::<Vec<_>>()
            .join(", ");
        return Some(Message {
            fr: format!("Enedis n'a plus votre accord pour : {meters}. Redonnez-le avec `linky login`."),
            en: format!("Enedis no longer has your consent for: {meters}. Give it again with `linky login`."),
        });
    }
    (!report.contracts_unread.is_empty()).then(|| {
        let meters = report.contracts_unread.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
        Message {
            fr: format!("le contrat de {meters} n'a pas pu être lu (Enedis occupé ou en panne) : ce qui était connu (heures creuses, puissance) est gardé, nouvel essai au prochain passage"),
            en: format!("the contract of {meters} could not be read (Enedis busy or failing): what was known (off-peak hours, power) is kept; another try at the next run"),
        }
    })
}

fn label(lang: Lang, fr: &'static str, en: &'static str) -> &'static str {
    if lang == Lang::Fr {
        fr
    } else {
        en
    }
}

fn reason_text(lang: Lang, reason: &str) -> String {
    let (fr, en) = match reason {
        "wrong_direction" => ("ce compteur ne mesure pas ce sens", "this meter does not measure this direction"),
        "curve_not_enabled" => ("courbe de charge non activée : activez la collecte horaire sur votre compte Enedis et attendez 48 h", "load curve not enabled: enable hourly collection on your Enedis account and wait 48 h"),
        "no_data_found" => ("pas de données chez Enedis", "no data at Enedis"),
        "before_activation" => ("avant la mise en service", "before activation"),
        "beyond_history" => ("au-delà de l'historique Enedis", "beyond Enedis' history"),
        other => return other.to_owned(),
    };
    label(lang, fr, en).to_owned()
}

/// The summary table: per meter, direction and kind, the days present, missing, not yet
/// published, failed and absent (with why), then the calls made.
pub fn summary(report: &SyncReport, lang: Lang) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<15} {:<13} {:<13} {:>8} {:>9} {:>12} {:>7} {:>8}  {}",
        "PDL",
        label(lang, "sens", "direction"),
        label(lang, "données", "data"),
        label(lang, "présents", "present"),
        label(lang, "manquants", "missing"),
        label(lang, "non publiés", "unpublished"),
        label(lang, "échecs", "failed"),
        label(lang, "absents", "absent"),
        label(lang, "pourquoi", "why"),
    );
    for s in &report.series {
        let direction = match (s.direction, lang) {
            (Direction::Consumption, Lang::Fr) => "consommation",
            (Direction::Consumption, Lang::En) => "consumption",
            (Direction::Production, _) => "production",
        };
        let kind = match s.kind {
            Kind::Curve => label(lang, "courbe", "load curve"),
            Kind::Daily => label(lang, "quotidien", "daily"),
            Kind::MaxPower => label(lang, "puissance max", "max power"),
        };
        let absent: u32 = s.absent.values().sum();
        let why = match &s.whole_absence {
            Some(reason) => reason_text(lang, reason),
            None => s
                .absent
                .keys()
                .map(|r| reason_text(lang, r))
                .collect::<Vec<_>>()
                .join(", "),
        };
        if s.whole_absence.is_some() {
            let _ = writeln!(
                out,
                "{:<15} {:<13} {:<13} {:>8} {:>9} {:>12} {:>7} {:>8}  {why}",
                s.pdl.as_str(),
                direction,
                kind,
                "-",
                "-",
                "-",
                "-",
                "-"
            );
        } else {
            let _ = writeln!(
                out,
                "{:<15} {:<13} {:<13} {:>8} {:>9} {:>12} {:>7} {:>8}  {why}",
                s.pdl.as_str(),
                direction,
                kind,
                s.fetched,
                s.missing,
                s.not_published,
                s.failed + s.mismatch,
                absent
            );
        }
    }
    let _ = writeln!(
        out,
        "{} {}",
        label(lang, "Appels Enedis :", "Enedis calls:"),
        report.calls
    );
    if report
        .series
        .iter()
        .any(|s| s.kind == Kind::Daily && s.span.is_some())
    {
        let _ = writeln!(
            out,
            "{}",
            label(
                lang,
                "Les totaux quotidiens au-delà de l'historique de la courbe de charge n'ont pas de partage heures pleines / heures creuses.",
                "Daily totals older than the load-curve history have no peak / off-peak split."
            )
        );
    }
    out
}
