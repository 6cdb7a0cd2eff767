//! `linky-proxy`: settings from a TOML file, the environment (`LINKY_PROXY_*`) and flags, in
//! that order of strength; then the SQLite store, then the server.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use linky_core::SystemClock;
use linky_proxy::config::Backend;
use linky_proxy::{AppState, Gathered, ProxyConfig, Source};
use linky_proxy_postgres::PostgresStore;
use linky_proxy_sqlite::SqliteStore;
use linky_proxy_store::ProxyStore;

mod admin;

/// mimalloc rather than glibc's malloc: a proxied request allocates and frees many small
/// buffers across the runtime's threads, and glibc's arenas spent about a fifth of the CPU.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The device-flow consent proxy in front of Enedis Data Connect.
///
/// Every setting can be given in the TOML file (`--config`), as a variable `LINKY_PROXY_<KEY>`
/// (e.g. LINKY_PROXY_GUESS_LIMIT=5; lists comma-separated) or, for the most common, as a flag;
/// a flag beats a variable, which beats the file.
#[derive(Debug, Parser)]
#[command(name = "linky-proxy", version, about, long_about)]
struct Args {
    /// A TOML file with any of the settings (keys in snake_case).
    #[arg(long, env = "LINKY_PROXY_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long)]
    listen: Option<String>,
    /// Database URL: sqlite://<file>, or postgres://user:password@host:port/database.
    #[arg(long)]
    database: Option<String>,
    /// Public base URL of this proxy.
    #[arg(long)]
    public_url: Option<String>,
    /// Base URL of the Enedis APIs.
    #[arg(long)]
    enedis_api_url: Option<String>,
    /// Base URL of the Enedis consent pages.
    #[arg(long)]
    enedis_consent_url: Option<String>,
    /// The Enedis application's client id.
    #[arg(long)]
    enedis_client_id: Option<String>,
    /// The Enedis application's client secret (prefer LINKY_PROXY_ENEDIS_CLIENT_SECRET: a flag
    /// shows in the process list).
    #[arg(long)]
    enedis_client_secret: Option<String>,
    /// Consent duration asked of Enedis (ISO 8601, at most P3Y).
    #[arg(long)]
    consent_duration: Option<String>,
    /// Accepted device client ids, comma-separated (default: any).
    #[arg(long)]
    device_client_ids: Option<String>,
    /// Header carrying the client address behind a reverse proxy (e.g. X-Forwarded-For).
    #[arg(long)]
    client_ip_header: Option<String>,
    /// Reverse proxies whose client_ip_header is believed, comma-separated addresses or CIDR
    /// blocks (default: 127.0.0.1,::1).
    #[arg(long)]
    trusted_proxies: Option<String>,
    /// UNSAFE, sandbox only: accept the v5 consent return, which cannot be verified.
    #[arg(long)]
    allow_unverified_v5_consent: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Look after the database: grants, revocations, purge, the Enedis quota.
    Admin(admin::AdminArgs),
}

fn settings(args: Args) -> anyhow::Result<ProxyConfig> {
    let mut gathered = Gathered::new();
    if let Some(path) = &args.config {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the settings file {}", path.display()))?;
        gathered
            .file(&text)
            .with_context(|| format!("settings file {}", path.display()))?;
    }
    gathered.environment(std::env::vars())?;
    let flags = [
        ("listen", args.listen),
        ("database", args.database),
        ("public_url", args.public_url),
        ("enedis_api_url", args.enedis_api_url),
        ("enedis_consent_url", args.enedis_consent_url),
        ("enedis_client_id", args.enedis_client_id),
        ("enedis_client_secret", args.enedis_client_secret),
        ("consent_duration", args.consent_duration),
        ("device_client_ids", args.device_client_ids),
        ("client_ip_header", args.client_ip_header),
        ("trusted_proxies", args.trusted_proxies),
        (
            "allow_unverified_v5_consent",
            args.allow_unverified_v5_consent.then(|| "true".to_owned()),
        ),
    ];
    for (key, value) in flags {
        if let Some(value) = value {
            gathered.text(key, &value, Source::Flag)?;
        }
    }
    Ok(gathered.read()?)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(Command::Admin(admin)) = &args.command {
        let database = admin::database(admin, args.config.as_deref(), args.database.as_deref())?;
        let text = match database.backend() {
            Backend::Sqlite => {
                let store = SqliteStore::from_url(database.expose())
                    .with_context(|| format!("cannot open the database {database}"))?;
                admin::run(&store, admin).await?
            }
            Backend::Postgres => {
                let store = PostgresStore::connect(database.expose())
                    .await
                    .with_context(|| format!("cannot open the database {database}"))?;
                admin::run(&store, admin).await?
            }
        };
        print!("{text}");
        return Ok(());
    }
    if let Err(e) = stderr_log::init("RUST_LOG", stderr_log::LevelFilter::INFO) {
        eprintln!("RUST_LOG cannot be read ({}): give a level (error, warn, info, debug, trace) or target=level pairs separated by commas; logging at info and above", e.reason);
    }
    linky_proxy::upstream::install_tls_provider();
    let config = settings(args)?;
    if config.allow_unverified_v5_consent {
        tracing::warn!("allow_unverified_v5_consent is on: anyone can claim any meter through a forged v5 return; use it only against the Enedis sandbox");
    }
    match config.database.backend() {
        Backend::Sqlite => {
            let store = SqliteStore::from_url(config.database.expose())
                .with_context(|| format!("cannot open the database {}", config.database))?;
            run(store, config).await
        }
        Backend::Postgres => {
            let store = PostgresStore::connect(config.database.expose())
                .await
                .with_context(|| format!("cannot open the database {}", config.database))?;
            run(store, config).await
        }
    }
}

/// Serves on `store` until Ctrl-C or SIGTERM.
async fn run<S: ProxyStore>(store: S, config: ProxyConfig) -> anyhow::Result<()> {
    let listen = config.listen;
    let state = AppState::new(store.clone(), config, Arc::new(SystemClock))
        .context("cannot prepare the Enedis client")?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    tracing::info!(address = %listener.local_addr()?, "linky-proxy listening");
    println!("listening on http://{}", listener.local_addr()?);
    // Expired grants, states, tokens and old guesses go every five minutes: anonymous requests
    // cannot make the database grow for long.
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(300));
        loop {
            tick.tick().await;
            if let Err(e) = store.purge_expired(chrono::Utc::now()).await {
                tracing::warn!(error = %e, "purge failed");
            }
        }
    });
    // Ctrl-C or SIGTERM (what systemd sends): in-flight requests finish (each method is one
    // transaction, so no grant is left half-written), then the process ends.
    linky_proxy::serve(listener, state, stop_signal()).await?;
    tracing::info!("linky-proxy stopped");
    Ok(())
}

async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
