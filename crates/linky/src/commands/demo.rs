//! `linky demo`: the whole chain in one process with nothing installed or configured: the Enedis
//! simulator, linky-proxy on SQLite in a temporary folder, a sandbox household consenting, a
//! two-year backfill with progress bars, then a page on `http://127.0.0.1:<port>/`. Ctrl-C stops
//! everything and removes the temporary folder.

use std::fmt::Write;
use std::sync::Arc;

use axum::response::Html;
use axum::routing::get;
use axum::Router;
use chrono::Duration;
use indicatif::{ProgressBar, ProgressStyle};
use linky_core::{paris, Clock, Lang, SystemClock, UsagePoint};
use linky_enedis::tokens::TokenFile;
use linky_enedis::{EnedisSource, Generation};
use linky_stack::{Stack, StackOptions, TempDir};
use linky_store::Store;
use linky_sync::{RunSettings, Runner, SyncSettings};

use super::energy::{kwh, recent_days, schedule_for};
use super::{CommandResult, Message};

/// The sandbox household of the demo: customer 3, a consumption meter and a production meter.
const CUSTOMER: u8 = 3;
const METERS: [&str; 2] = ["12345678901234", "10284856584123"];

fn say(lang: Lang, fr: &str, en: &str) -> String {
    if lang == Lang::Fr {
        fr.to_owned()
    } else {
        en.to_owned()
    }
}

fn io_error(e: impl std::fmt::Display) -> Message {
    Message {
        fr: format!("la démonstration n'a pas pu démarrer : {e}"),
        en: format!("the demo could not start: {e}"),
    }
}

/// `linky demo`: Ctrl-C (or SIGTERM) stops it at any stage and removes the temporary folder.
pub async fn run(args: &crate::cli::DemoArgs, lang: Lang) -> CommandResult {
    let stop = super::shutdown_signal();
    let temp = TempDir::new("linky-demo").map_err(io_error)?;
    let outcome = tokio::select! {
        result = demo(args, lang, &temp) => result,
        () = stop => Ok(()),
    };
    drop(temp);
    outcome?;
    Ok(format!(
        "{}\n",
        say(
            lang,
            "Démonstration arrêtée, dossier temporaire effacé.",
            "Demo stopped, temporary folder removed."
        )
    ))
}

async fn demo(
    args: &crate::cli::DemoArgs,
    lang: Lang,
    temp: &TempDir,
) -> Result<(), super::CommandError> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let mut options = StackOptions::new(clock.clone());
    options.sim.quota = enedis_sim::Quota {
        per_second: 1000,
        per_hour: 1_000_000,
    };
    options.database = Some(format!(
        "sqlite://{}",
        temp.path().join("proxy.db").display()
    ));
    let stack = Stack::start(options).await.map_err(io_error)?;
    crate::report::line_out(&say(lang, "Démonstration : simulateur Enedis (données fictives), proxy de consentement et linky dans ce seul processus.", "Demo: Enedis simulator (fictitious data), consent proxy and linky in this one process."));
    crate::report::line_out(&format!(
        "  {} {}",
        say(lang, "simulateur Enedis :", "Enedis simulator:"),
        stack.sim_url()
    ));
    crate::report::line_out(&format!(
        "  {} {}",
        say(lang, "proxy :", "proxy:"),
        stack.proxy_url()
    ));
    crate::report::line_out(&format!(
        "  {} {}",
        say(lang, "dossier temporaire :", "temporary folder:"),
        temp.path().display()
    ));
    crate::report::line_out(&say(
        lang,
        "Consentement du foyer de démonstration (un compteur de consommation, un de production)…",
        "Consent of the demo household (a consumption meter and a production meter)…",
    ));
    let family = stack.login(CUSTOMER, &METERS).await.map_err(io_error)?;
    let tokens_path = temp.path().join("tokens.json");
    let mut tokens = TokenFile::default();
    tokens.add(family);
    tokens.save(&tokens_path)?;

    crate::report::line_out(&say(
        lang,
        &format!(
            "Téléchargement de {} jours d'historique…",
            args.history_days
        ),
        &format!("Downloading {} days of history…", args.history_days),
    ));
    let source = EnedisSource::proxy(tokens_path, Generation::Auto, clock.clone())?
        .with_min_interval(std::time::Duration::from_millis(10));
    let mut store = Store::open(&temp.path().join("linky.db"))?;
    let meters: Vec<UsagePoint> = METERS.iter().filter_map(|m| m.parse().ok()).collect();
    let settings = RunSettings {
        plan: SyncSettings {
            curve_days: args.history_days,
            ..SyncSettings::default()
        },
        ..RunSettings::default()
    };
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let report = Runner::new(
        &mut store,
        &source,
        clock.as_ref(),
        &settings,
        &super::sync::Bar(bar),
    )
    .run(&meters)
    .await?;
    let summary = super::sync::summary(&report, lang);
    crate::report::text_out(&summary);

    let page = page(&store, &summary, lang, clock.as_ref())?;
    let app = Router::new().route(
        "/",
        get(move || {
            let page = page.clone();
            async move { Html(page) }
        }),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
        .await
        .map_err(io_error)?;
    let address = listener.local_addr().map_err(io_error)?;
    crate::report::line_out(&format!(
        "{} http://{address}/",
        say(lang, "Page de démonstration :", "Demo page:")
    ));
    crate::report::line_out(&say(
        lang,
        "Ctrl-C arrête tout et efface le dossier temporaire.",
        "Ctrl-C stops everything and removes the temporary folder.",
    ));
    // Serves until the caller stops everything (the stack goes with this future).
    axum::serve(listener, app).await.map_err(io_error)?;
    drop((store, stack));
    Ok(())
}

fn page(
    store: &Store,
    summary: &str,
    lang: Lang,
    clock: &dyn Clock,
) -> Result<String, linky_store::StoreError> {
    let last = paris::local_date(clock.now()) - Duration::days(1);
    let mut tables = String::new();
    for meter in store.meters()? {
        let schedule = schedule_for(None, meter.contract_offpeak.as_deref());
        let days = recent_days(store, &meter.pdl, &schedule, last, 14)?;
        let _ = write!(
            tables,
            "<h2>{} {}</h2><p>{} {}</p><table><tr><th>{}</th><th>HP kWh</th><th>HC kWh</th><th>{}</th><th>{}</th></tr>",
            say(lang, "Compteur", "Meter"),
            meter.pdl,
            say(lang, "Heures creuses du contrat :", "Contract off-peak hours:"),
            meter.contract_offpeak.as_deref().unwrap_or("-"),
            say(lang, "jour", "day"),
            say(lang, "consommation kWh", "consumption kWh"),
            say(lang, "production kWh", "production kWh"),
        );
        for d in days {
            let _ = write!(
                tables,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                d.date,
                kwh(d.peak_kwh),
                kwh(d.offpeak_kwh),
                kwh(d.consumption_kwh),
                kwh(d.production_kwh)
            );
        }
        tables.push_str("</table>");
    }
    let escaped = summary
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    Ok(format!(
        r#"<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>linky demo</title>
<style>body{{font-family:sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.2rem .5rem;text-align:right}}pre{{overflow-x:auto}}</style></head>
<body><h1>linky — {title}</h1><p>{intro}</p>{tables}<h2>{stored}</h2><pre>{escaped}</pre></body></html>"#,
        title = say(lang, "démonstration", "demo"),
        intro = say(lang, "Données fictives du simulateur Enedis, téléchargées par linky à travers le proxy de consentement.", "Fictitious data from the Enedis simulator, downloaded by linky through the consent proxy."),
        stored = say(lang, "Ce qui est enregistré", "What is stored"),
    ))
}
