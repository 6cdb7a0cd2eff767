//! `linky-proxy`: settings from a TOML file, the environment (`LINKY_PROXY_*`) and flags, in
//! that order of strength; then the SQLite store, then the server.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use linky_core::SystemClock;
use linky_proxy::{AppState, ProxyConfig};
use linky_proxy_sqlite::SqliteStore;
use linky_proxy_store::ProxyStore;

/// The device-flow consent proxy in front of Enedis Data Connect.
#[derive(Debug, Parser)]
#[command(name = "linky-proxy", version, about)]
struct Args {
    /// A TOML file with any of the settings below (keys in snake_case).
    #[arg(long, env = "LINKY_PROXY_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, env = "LINKY_PROXY_LISTEN")]
    listen: Option<SocketAddr>,
    /// Database URL: sqlite://<file>.
    #[arg(long, env = "LINKY_PROXY_DATABASE")]
    database: Option<String>,
    /// Public base URL of this proxy.
    #[arg(long, env = "LINKY_PROXY_PUBLIC_URL")]
    public_url: Option<String>,
    /// Base URL of the Enedis APIs.
    #[arg(long, env = "LINKY_PROXY_ENEDIS_API_URL")]
    enedis_api_url: Option<String>,
    /// Base URL of the Enedis consent pages.
    #[arg(long, env = "LINKY_PROXY_ENEDIS_CONSENT_URL")]
    enedis_consent_url: Option<String>,
    /// The Enedis application's client id.
    #[arg(long, env = "LINKY_PROXY_ENEDIS_CLIENT_ID")]
    enedis_client_id: Option<String>,
    /// The Enedis application's client secret (prefer the environment variable).
    #[arg(long, env = "LINKY_PROXY_ENEDIS_CLIENT_SECRET", hide_env_values = true)]
    enedis_client_secret: Option<String>,
    /// Consent duration asked of Enedis (ISO 8601, at most P3Y).
    #[arg(long, env = "LINKY_PROXY_CONSENT_DURATION")]
    consent_duration: Option<String>,
    /// Accepted device client ids, comma-separated (default: any).
    #[arg(long, env = "LINKY_PROXY_DEVICE_CLIENT_IDS", value_delimiter = ',')]
    device_client_ids: Option<Vec<String>>,
    /// Header carrying the client address behind a reverse proxy (e.g. X-Forwarded-For).
    #[arg(long, env = "LINKY_PROXY_CLIENT_IP_HEADER")]
    client_ip_header: Option<String>,
    /// Reverse proxies whose client_ip_header is believed, comma-separated addresses or CIDR
    /// blocks (default: 127.0.0.1,::1).
    #[arg(long, env = "LINKY_PROXY_TRUSTED_PROXIES", value_delimiter = ',')]
    trusted_proxies: Option<Vec<String>>,
    /// UNSAFE, sandbox only: accept the v5 consent return, which cannot be verified.
    #[arg(long, env = "LINKY_PROXY_ALLOW_UNVERIFIED_V5_CONSENT")]
    allow_unverified_v5_consent: bool,
}

fn settings(args: Args) -> anyhow::Result<ProxyConfig> {
    let mut config = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the settings file {}", path.display()))?;
            toml::from_str::<ProxyConfig>(&text)
                .with_context(|| format!("settings file {}", path.display()))?
        }
        None => ProxyConfig::default(),
    };
    macro_rules! take {
        ($($field:ident),*) => { $( if let Some(v) = args.$field { config.$field = v; } )* };
    }
    take!(
        listen,
        database,
        public_url,
        enedis_api_url,
        enedis_consent_url,
        enedis_client_id,
        enedis_client_secret,
        consent_duration,
        device_client_ids,
        trusted_proxies
    );
    if args.client_ip_header.is_some() {
        config.client_ip_header = args.client_ip_header;
    }
    config.allow_unverified_v5_consent |= args.allow_unverified_v5_consent;
    config.validate()?;
    Ok(config)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        // Its default reports a failed write with `eprintln!`, which panics when stderr is a
        // closed pipe: a log line must never stop the program.
        .log_internal_errors(false)
        .init();
    linky_proxy::upstream::install_tls_provider();
    let config = settings(Args::parse())?;
    if config.allow_unverified_v5_consent {
        tracing::warn!("allow_unverified_v5_consent is on: anyone can claim any meter through a forged v5 return; use it only against the Enedis sandbox");
    }
    let store = SqliteStore::from_url(&config.database)
        .with_context(|| format!("cannot open the database {}", config.database))?;
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
    linky_proxy::serve(listener, state, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
