//! `enedis-sim`: runs the simulator on a socket.

use std::io::Write;
use std::net::SocketAddr;

use anyhow::{bail, Context};
use chrono::{DateTime, NaiveTime, Utc};
use clap::Parser;
use enedis_sim::{Credentials, DstStamps, Fault, FaultSet, Quota, Scope, SimConfig, Simulator};

/// A simulator of Enedis Data Connect for tests and demos. Not Enedis: its data is synthetic.
#[derive(Debug, Parser)]
#[command(name = "enedis-sim", version, about)]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Start the clock at this instant (RFC 3339); it then advances in real time.
    #[arg(long)]
    now: Option<DateTime<Utc>>,
    /// Keep the clock still.
    #[arg(long)]
    freeze: bool,
    /// Seed of the synthetic data.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The only client id the token endpoint accepts (default: any non-empty pair).
    #[arg(long, requires = "client_secret")]
    client_id: Option<String>,
    /// The secret that goes with --client-id.
    #[arg(
        long,
        env = "ENEDIS_SIM_CLIENT_SECRET",
        hide_env_values = true,
        requires = "client_id"
    )]
    client_secret: Option<String>,
    /// The application's registered redirect URI.
    #[arg(long)]
    redirect_uri: Option<String>,
    /// Requests per second allowed per client id.
    #[arg(long, default_value_t = 5)]
    quota_per_second: u32,
    /// Requests per hour allowed per client id.
    #[arg(long, default_value_t = 10_000)]
    quota_per_hour: u32,
    /// Longest daily or max-power window accepted, in days.
    #[arg(long, default_value_t = 1095)]
    max_daily_days: i64,
    /// Longest load-curve window accepted, in days.
    #[arg(long, default_value_t = 7)]
    max_curve_days: i64,
    /// Paris hour at which yesterday's data appears.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(0..24))]
    publication_hour: u32,
    /// Leave out the second 02:30 and 03:00 of the autumn day (a variant seen in some exports).
    #[arg(long)]
    dst_drop_duplicates: bool,
    /// Share of calls answered 500 technical_error (0 to 1).
    #[arg(long)]
    fault_error_rate: Option<f64>,
    /// Nightly maintenance window answering 503, Paris time, e.g. 02:00-04:00.
    #[arg(long, value_name = "HH:MM-HH:MM")]
    fault_maintenance: Option<String>,
    /// Latency added to every call, in milliseconds.
    #[arg(long)]
    fault_latency_ms: Option<u64>,
    /// Share of connections reset before any answer (0 to 1).
    #[arg(long)]
    fault_reset_rate: Option<f64>,
    /// Share of answers cut halfway through the body (0 to 1).
    #[arg(long)]
    fault_truncate_rate: Option<f64>,
    /// Seconds during which subscribed_services answers empty after a consent.
    #[arg(long, default_value_t = 5)]
    subscribed_services_delay: i64,
    /// Answer 404 on the v5 paths, as after the autumn 2026 cut-off.
    #[arg(long)]
    no_v5: bool,
    /// Answer 403 on `comptage_auto`, as the real server does to an application without that
    /// subscription.
    #[arg(long)]
    no_comptage: bool,
}

fn faults(args: &Args) -> anyhow::Result<FaultSet> {
    let scope = Scope::default;
    let mut faults = Vec::new();
    if let Some(rate) = args.fault_error_rate {
        faults.push(Fault::Error {
            rate,
            scope: scope(),
        });
    }
    if let Some(window) = &args.fault_maintenance {
        let parse = |t: &str| NaiveTime::parse_from_str(t.trim(), "%H:%M");
        let Some((from, to)) = window.split_once('-') else {
            bail!("--fault-maintenance \"{window}\": expected HH:MM-HH:MM, e.g. 02:00-04:00");
        };
        let (from, to) = (parse(from), parse(to));
        let (Ok(from), Ok(to)) = (from, to) else {
            bail!("--fault-maintenance \"{window}\": expected HH:MM-HH:MM, e.g. 02:00-04:00");
        };
        faults.push(Fault::Maintenance {
            from,
            to,
            scope: scope(),
        });
    }
    if let Some(ms) = args.fault_latency_ms {
        faults.push(Fault::Latency { ms, scope: scope() });
    }
    if let Some(rate) = args.fault_reset_rate {
        faults.push(Fault::Reset {
            rate,
            scope: scope(),
        });
    }
    if let Some(rate) = args.fault_truncate_rate {
        faults.push(Fault::Truncate {
            rate,
            scope: scope(),
        });
    }
    let set = FaultSet { faults };
    set.validate().map_err(anyhow::Error::msg)?;
    Ok(set)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Err(e) = stderr_log::init("RUST_LOG", stderr_log::LevelFilter::WARN) {
        eprintln!("RUST_LOG cannot be read ({}): give a level (error, warn, info, debug, trace) or target=level pairs separated by commas; logging at warn and above", e.reason);
    }
    let credentials = match (&args.client_id, &args.client_secret) {
        (Some(id), Some(secret)) => Some(Credentials {
            client_id: id.clone(),
            client_secret: secret.clone(),
        }),
        _ => None,
    };
    let config = SimConfig {
        seed: args.seed,
        credentials,
        redirect_uri: args.redirect_uri.clone(),
        quota: Quota {
            per_second: args.quota_per_second,
            per_hour: args.quota_per_hour,
        },
        max_curve_days: args.max_curve_days,
        max_daily_days: args.max_daily_days,
        publication_hour: args.publication_hour,
        dst_stamps: if args.dst_drop_duplicates {
            DstStamps::DropDuplicates
        } else {
            DstStamps::Repeat
        },
        faults: faults(&args)?,
        subscribed_services_delay_seconds: args.subscribed_services_delay,
        v5_enabled: !args.no_v5,
        comptage_subscribed: !args.no_comptage,
        ..SimConfig::default()
    };
    let clock = enedis_sim::clock::from_flags(args.now, args.freeze);
    let sim = Simulator::new(config, clock);
    let running = sim
        .bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    println!("listening on {}", running.url());
    std::io::stdout().flush()?;
    shutdown_signal().await;
    running.shutdown().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
