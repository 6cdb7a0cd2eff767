//! `linky-proxy admin`: what an operator does on the database, with the service running or
//! not: list token families by meter (meters masked), revoke a family or every family of a
//! meter, purge what expired, show the Enedis quota. A database of a newer schema than this
//! binary knows is refused when opened.

use std::fmt::Write;
use std::path::Path;

use anyhow::Context;
use chrono::{DateTime, Utc};
use linky_proxy::DatabaseUrl;
use linky_proxy_store::{FamilyRecord, ProxyStore};

/// `linky-proxy admin`.
#[derive(Debug, clap::Args)]
pub struct AdminArgs {
    /// The database (else LINKY_PROXY_DATABASE, else the settings file's `database`).
    #[arg(long = "db")]
    database: Option<String>,
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Token families, newest first, with their meters masked.
    Grants {
        /// Only the families of this meter (its 14 digits).
        #[arg(long)]
        meter: Option<String>,
    },
    /// Revokes a family (`--family`) or every family of a meter (`--meter`).
    Revoke {
        /// A family's id, as `grants` lists it.
        #[arg(long, conflicts_with = "meter", required_unless_present = "meter")]
        family: Option<i64>,
        /// A meter's 14 digits.
        #[arg(long)]
        meter: Option<String>,
    },
    /// Deletes expired codes, states, tokens and old counts.
    Purge,
    /// Enedis's quota now: calls this second and this hour, and any pause Enedis asked for.
    Quota,
}

/// The database to work on: `--db`, else the `--database` flag, else the variable, else the
/// settings file's `database`.
pub fn database(
    args: &AdminArgs,
    config: Option<&Path>,
    flag: Option<&str>,
) -> anyhow::Result<DatabaseUrl> {
    let from_file = || -> anyhow::Result<Option<String>> {
        let Some(path) = config else { return Ok(None) };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the settings file {}", path.display()))?;
        let table: toml::Table =
            toml::from_str(&text).with_context(|| format!("settings file {}", path.display()))?;
        Ok(table
            .get("database")
            .and_then(|v| v.as_str())
            .map(str::to_owned))
    };
    let text = match (&args.database, flag, std::env::var("LINKY_PROXY_DATABASE").ok()) {
        (Some(db), _, _) => db.clone(),
        (None, Some(db), _) => db.to_owned(),
        (None, None, Some(db)) => db,
        (None, None, None) => from_file()?.context(
            "no database given: use --db, LINKY_PROXY_DATABASE or the settings file (--config) the service uses",
        )?,
    };
    text.parse::<DatabaseUrl>()
        .map_err(|e| anyhow::anyhow!("--db: {e}"))
}

/// A meter as an operator may see it: the first two and last four digits.
pub fn masked(pdl: &str) -> String {
    if pdl.len() < 8 || !pdl.is_ascii() {
        return "*".repeat(pdl.len());
    }
    format!(
        "{}{}{}",
        &pdl[..2],
        "*".repeat(pdl.len() - 6),
        &pdl[pdl.len() - 4..]
    )
}

fn day(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(|| "-".to_owned(), |t| t.format("%Y-%m-%d").to_string())
}

fn family_line(f: &FamilyRecord, now: DateTime<Utc>) -> String {
    let state = match (f.revoked_at, f.tokens_until) {
        (Some(_), _) => "revoked",
        (None, Some(until)) if until > now => "live",
        _ => "expired",
    };
    let meters: Vec<String> = f.meters.iter().map(|m| masked(m)).collect();
    format!(
        "{:>6}  {:<8} {:<10} {:<10} {:<10} {:<24} {}\n",
        f.id,
        state,
        day(Some(f.created_at)),
        day(f.consent_expires_at),
        day(f.tokens_until),
        f.client_id.chars().take(24).collect::<String>(),
        meters.join(", ")
    )
}

/// Runs the action; its report.
pub async fn run<S: ProxyStore>(store: &S, args: &AdminArgs) -> anyhow::Result<String> {
    let now = Utc::now();
    let mut out = String::new();
    match &args.action {
        Action::Grants { meter } => {
            let families = store.families(meter.as_deref()).await?;
            let _ = writeln!(
                out,
                "{:>6}  {:<8} {:<10} {:<10} {:<10} {:<24} meters",
                "family", "state", "issued", "consent", "tokens", "client"
            );
            for f in &families {
                out.push_str(&family_line(f, now));
            }
            let _ = writeln!(out, "{} families", families.len());
        }
        Action::Revoke {
            family: Some(id), ..
        } => {
            if store.revoke_family_id(*id, now).await? {
                let _ = writeln!(
                    out,
                    "family {id} revoked: its tokens stop working within 10 s on every instance"
                );
            } else {
                anyhow::bail!("no live family {id}: see `linky-proxy admin grants`");
            }
        }
        Action::Revoke {
            meter: Some(meter), ..
        } => {
            let n = store.revoke_meter(meter, now).await?;
            let _ = writeln!(
                out,
                "{n} families of {} revoked: their tokens stop working within 10 s on every instance",
                masked(meter)
            );
        }
        Action::Revoke { .. } => anyhow::bail!("give --family <id> or --meter <pdl>"),
        Action::Purge => {
            let n = store.purge_expired(now).await?;
            let _ = writeln!(out, "{n} expired rows deleted");
        }
        Action::Quota => {
            let q = store.quota_state(now).await?;
            let _ = writeln!(out, "Enedis calls this second: {}", q.second);
            let _ = writeln!(out, "Enedis calls this hour:   {}", q.hour);
            match q.paused_until {
                Some(until) => {
                    let _ = writeln!(out, "paused by Enedis until {until}");
                }
                None => {
                    let _ = writeln!(out, "not paused");
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meters_are_masked() {
        assert_eq!(masked("22516914714270"), "22********4270");
        assert_eq!(masked("123"), "***");
    }
}
