//! `linky demo`: the whole chain in one process with nothing installed or configured: the Enedis
//! simulator, linky-proxy on SQLite in a temporary folder, a sandbox household consenting, a
//! two-year backfill with progress bars, then the dashboard on `http://127.0.0.1:<port>/`. Ctrl-C stops
//! everything and removes the temporary folder.

use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};
use linky_core::{Clock, Lang, Localized, UsagePoint};
use linky_enedis::tokens::TokenFile;
use linky_enedis::{EnedisSource, Generation};
use linky_stack::{Stack, StackOptions, TempDir};
use linky_store::Store;
use linky_sync::{RunSettings, Runner, SyncSettings};

use super::{CommandResult, Message};

/// The sandbox household of the demo: customer 3, a consumption meter and a production meter.
const CUSTOMER: u8 = 3;
const METERS: [&str; 2] = ["12345678901234", "10284856584123"];

fn io_error(e: impl std::fmt::Display) -> Message {
    Message {
        fr: format!("la démonstration n'a pas pu démarrer : {e}"),
        en: format!("the demo could not start: {e}"),
    }
}

fn port_taken(address: std::net::SocketAddr, e: &std::io::Error) -> Message {
    if e.kind() == std::io::ErrorKind::AddrInUse {
        return Message {
            fr: format!("le port {} est déjà pris (par Domoticz, un `linky run` ou un autre programme) : choisissez-en un autre avec --port <numéro> (ou --port 0 pour un port libre)", address.port()),
            en: format!("port {} is already in use (by Domoticz, a `linky run` or another program): choose another with --port <number> (or --port 0 for a free one)", address.port()),
        };
    }
    Message {
        fr: format!("impossible d'écouter sur {address} ({e}) : choisissez une autre adresse avec --listen ou --port"),
        en: format!("cannot listen on {address} ({e}): choose another address with --listen or --port"),
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
        lang.pick(
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
    // The page's port is taken first: a port already in use (Domoticz's 8080, a running
    // `linky run`) is said before anything is downloaded.
    let wanted = args
        .listen
        .unwrap_or_else(|| std::net::SocketAddr::from(([127, 0, 0, 1], args.port)));
    let listener = tokio::net::TcpListener::bind(wanted)
        .await
        .map_err(|e| port_taken(wanted, &e))?;
    let clock: Arc<dyn Clock> = crate::clock::clock();
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
    crate::report::line_out(lang.pick("Démonstration : simulateur Enedis (données fictives), proxy de consentement et linky dans ce seul processus.", "Demo: Enedis simulator (fictitious data), consent proxy and linky in this one process."));
    crate::report::line_out(&format!(
        "  {} {}",
        lang.pick("simulateur Enedis :", "Enedis simulator:"),
        stack.sim_url()
    ));
    crate::report::line_out(&format!(
        "  {} {}",
        lang.pick("proxy :", "proxy:"),
        stack.proxy_url()
    ));
    crate::report::line_out(&format!(
        "  {} {}",
        lang.pick("dossier temporaire :", "temporary folder:"),
        temp.path().display()
    ));
    crate::report::line_out(lang.pick(
        "Consentement du foyer de démonstration (un compteur de consommation, un de production)…",
        "Consent of the demo household (a consumption meter and a production meter)…",
    ));
    let family = stack.login(CUSTOMER, &METERS).await.map_err(io_error)?;
    let tokens_path = temp.path().join("tokens.json");
    let mut tokens = TokenFile::default();
    tokens.add(family);
    tokens.save(&tokens_path)?;

    crate::report::line_out(lang.pick(
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
    // The simulator serves EDF's calendar too: the demo prices Tempo days as a real install does.
    let mut settings = crate::settings::Settings::default();
    settings.tariff.colours_url = Some(stack.sim_url());
    settings.sync.history_days = args.history_days;
    let colours = super::colours::refresh(&settings, &mut store, clock.now()).await?;
    for failure in &colours.failures {
        crate::report::line_err(&failure.localized(lang));
    }

    drop(store);
    let config = super::web::config(&settings, temp.path().join("linky.db"), lang, clock)?;
    let app = linky_web::router(config);
    let address = listener.local_addr().map_err(io_error)?;
    crate::report::line_out(&format!(
        "{} http://{address}/",
        lang.pick("Page de démonstration :", "Demo page:")
    ));
    crate::report::line_out(lang.pick(
        "Ctrl-C arrête tout et efface le dossier temporaire.",
        "Ctrl-C stops everything and removes the temporary folder.",
    ));
    // Serves until the caller stops everything (the stack goes with this future).
    axum::serve(listener, app).await.map_err(io_error)?;
    drop(stack);
    Ok(())
}
