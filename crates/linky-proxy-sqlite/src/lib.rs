//! The SQLite backend of linky-proxy's store: one file, WAL mode, migrations embedded and run on
//! open. Every trait method is one transaction, run on a blocking thread.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};
use linky_proxy_store::{
    BindOutcome, Family, FamilyRecord, Grant, GrantStatus, IssueOutcome, NewGrant, NewToken,
    ProxyStore, QuotaState, RefreshOutcome, StoreError, UpstreamSlot,
};
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};

/// Migrations, in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_initial.sql"),
    include_str!("../migrations/0002_grant_origin.sql"),
    include_str!("../migrations/0003_upstream_budget.sql"),
];

/// A store in one SQLite file.
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
}

fn db(e: rusqlite::Error) -> StoreError {
    StoreError::Database(e.to_string())
}

fn secs(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

fn time(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(s, 0).unwrap_or_default()
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `path` and brings its schema up to date.
    /// The file is made readable by its owner only: it holds hashes of live tokens.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let conn = Connection::open(path).map_err(db)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(db)?;
        SqliteStore::prepare(conn)
    }

    /// A database in memory (tests).
    pub fn in_memory() -> Result<SqliteStore, StoreError> {
        SqliteStore::prepare(Connection::open_in_memory().map_err(db)?)
    }

    /// Opens `sqlite://<path>` or `sqlite::memory:`.
    pub fn from_url(url: &str) -> Result<SqliteStore, StoreError> {
        if url == "sqlite::memory:" {
            return SqliteStore::in_memory();
        }
        let path = url.strip_prefix("sqlite://").ok_or_else(|| {
            StoreError::Database(format!(
                "not a SQLite URL: {url} (expected sqlite://<file>)"
            ))
        })?;
        SqliteStore::open(Path::new(path))
    }

    fn prepare(mut conn: Connection) -> Result<SqliteStore, StoreError> {
        conn.pragma_update(None, "foreign_keys", "ON").map_err(db)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(db)?;
        let version: usize = conn
            .pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))
            .map_err(db)? as usize;
        if version > MIGRATIONS.len() {
            return Err(StoreError::Database(format!(
                "the database schema (version {version}) is newer than this linky-proxy knows ({}); upgrade linky-proxy",
                MIGRATIONS.len()
            )));
        }
        // All pending migrations in one transaction, by the same mechanism as the client's store.
        rusqlite_migration::Migrations::new(
            MIGRATIONS
                .iter()
                .copied()
                .map(rusqlite_migration::M::up)
                .collect(),
        )
        .to_latest(&mut conn)
        .map_err(|e| StoreError::Database(format!("schema migration: {e}")))?;
        Ok(SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `f` in one immediate transaction on a blocking thread.
    async fn tx<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = conn.lock().unwrap_or_else(PoisonError::into_inner);
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db)?;
            let out = f(&tx)?;
            tx.commit().map_err(db)?;
            Ok(out)
        })
        .await
        .map_err(|e| StoreError::Database(format!("storage task failed: {e}")))?
    }
}

fn meters(tx: &Transaction<'_>, sql: &str, id: i64) -> Result<Vec<String>, StoreError> {
    let mut stmt = tx.prepare_cached(sql).map_err(db)?;
    let rows = stmt
        .query_map([id], |r| r.get::<_, String>(0))
        .map_err(db)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(db)
}

const GRANT_COLUMNS: &str = "id, client_id, user_code, expires_at, interval_seconds, last_poll_at, status, consent_expires_at, family_id, created_at, client_address";

fn grant_where(
    tx: &Transaction<'_>,
    condition: &str,
    param: &dyn rusqlite::ToSql,
    extra: Option<i64>,
) -> Result<Option<Grant>, StoreError> {
    let sql =
        format!("SELECT {GRANT_COLUMNS} FROM grants WHERE {condition} ORDER BY id DESC LIMIT 1");
    let mut stmt = tx.prepare_cached(&sql).map_err(db)?;
    let row = match extra {
        Some(e) => stmt.query_row(params![param, e], grant_row),
        None => stmt.query_row(params![param], grant_row),
    }
    .optional()
    .map_err(db)?;
    let Some((mut grant, status)) = row else {
        return Ok(None);
    };
    grant.status = GrantStatus::parse(&status)?;
    grant.meters = meters(
        tx,
        "SELECT pdl FROM grant_meters WHERE grant_id = ? ORDER BY rowid",
        grant.id,
    )?;
    Ok(Some(grant))
}

fn grant_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Grant, String)> {
    Ok((
        Grant {
            id: r.get(0)?,
            client_id: r.get(1)?,
            user_code: r.get(2)?,
            expires_at: time(r.get(3)?),
            interval_seconds: r.get(4)?,
            last_poll_at: r.get::<_, Option<i64>>(5)?.map(time),
            status: GrantStatus::Pending,
            meters: Vec::new(),
            consent_expires_at: r.get::<_, Option<i64>>(7)?.map(time),
            family_id: r.get(8)?,
            created_at: time(r.get(9)?),
            client_address: r.get(10)?,
        },
        r.get(6)?,
    ))
}

fn family(tx: &Transaction<'_>, id: i64) -> Result<Family, StoreError> {
    let (client_id, consent): (String, Option<i64>) = tx
        .query_row(
            "SELECT client_id, consent_expires_at FROM families WHERE id = ?",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(db)?;
    Ok(Family {
        id,
        client_id,
        meters: meters(
            tx,
            "SELECT pdl FROM family_meters WHERE family_id = ? ORDER BY rowid",
            id,
        )?,
        consent_expires_at: consent.map(time),
    })
}

fn insert_token(
    tx: &Transaction<'_>,
    family_id: i64,
    kind: &str,
    token: &NewToken,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO tokens (hash, family_id, kind, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
        params![
            token.hash,
            family_id,
            kind,
            secs(now),
            secs(token.expires_at)
        ],
    )
    .map_err(db)?;
    Ok(())
}

impl ProxyStore for SqliteStore {
    async fn health(&self) -> Result<(), StoreError> {
        self.tx(|tx| tx.query_row("SELECT 1", [], |_| Ok(())).map_err(db))
            .await
    }

    async fn create_grant(&self, g: NewGrant) -> Result<bool, StoreError> {
        self.tx(move |tx| {
            let taken: bool = tx
                .query_row("SELECT EXISTS(SELECT 1 FROM grants WHERE user_code = ? AND expires_at > ?)", params![g.user_code, secs(g.created_at)], |r| r.get(0))
                .map_err(db)?;
            if taken {
                return Ok(false);
            }
            tx.execute(
                "INSERT INTO grants (device_code_hash, user_code, client_id, created_at, expires_at, interval_seconds, status, client_address) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)",
                params![g.device_code_hash, g.user_code, g.client_id, secs(g.created_at), secs(g.expires_at), g.interval_seconds, g.client_address],
            )
            .map_err(db)?;
            Ok(true)
        })
        .await
    }

    async fn grant_by_user_code(
        &self,
        user_code: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Grant>, StoreError> {
        let code = user_code.to_owned();
        self.tx(move |tx| {
            grant_where(
                tx,
                "user_code = ?1 AND expires_at > ?2",
                &code,
                Some(secs(now)),
            )
        })
        .await
    }

    async fn grant_by_device_code(
        &self,
        device_code_hash: &str,
    ) -> Result<Option<Grant>, StoreError> {
        let hash = device_code_hash.to_owned();
        self.tx(move |tx| grant_where(tx, "device_code_hash = ?1", &hash, None))
            .await
    }

    async fn record_poll(
        &self,
        grant_id: i64,
        at: DateTime<Utc>,
        interval_seconds: i64,
    ) -> Result<(), StoreError> {
        self.tx(move |tx| {
            tx.execute(
                "UPDATE grants SET last_poll_at = ?, interval_seconds = ? WHERE id = ?",
                params![secs(at), interval_seconds, grant_id],
            )
            .map_err(db)?;
            Ok(())
        })
        .await
    }

    async fn create_state(
        &self,
        state_hash: &str,
        grant_id: i64,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let hash = state_hash.to_owned();
        self.tx(move |tx| {
            tx.execute(
                "INSERT INTO states (state_hash, grant_id, expires_at) VALUES (?, ?, ?)",
                params![hash, grant_id, secs(expires_at)],
            )
            .map_err(db)?;
            Ok(())
        })
        .await
    }

    async fn take_state(
        &self,
        state_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError> {
        let hash = state_hash.to_owned();
        self.tx(move |tx| {
            let row: Option<(i64, i64, Option<i64>)> = tx
                .query_row(
                    "SELECT grant_id, expires_at, used_at FROM states WHERE state_hash = ?",
                    [&hash],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()
                .map_err(db)?;
            tx.execute(
                "UPDATE states SET used_at = ? WHERE state_hash = ? AND used_at IS NULL",
                params![secs(now), hash],
            )
            .map_err(db)?;
            Ok(row.and_then(|(grant, expires, used)| {
                (used.is_none() && expires > secs(now)).then_some(grant)
            }))
        })
        .await
    }

    async fn bind_consent(
        &self,
        grant_id: i64,
        autorisation_id: Option<i64>,
        pdls: &[String],
        consent_expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<BindOutcome, StoreError> {
        let pdls = pdls.to_vec();
        self.tx(move |tx| {
            let Some(grant) = grant_where(tx, "id = ?1", &grant_id, None)? else { return Ok(BindOutcome::NoGrant) };
            if grant.expires_at <= now {
                return Ok(BindOutcome::NoGrant);
            }
            if let Some(id) = autorisation_id {
                // Claimed on its first arrival by this grant's flow (bound_at 0), or never seen:
                // bound now. Anything else is a replay.
                let claimed = tx
                    .execute("UPDATE autorisations SET bound_at = ? WHERE autorisation_id = ? AND grant_id = ? AND bound_at = 0", params![secs(now), id, grant_id])
                    .map_err(db)?;
                let inserted = if claimed == 0 {
                    tx.execute("INSERT OR IGNORE INTO autorisations (autorisation_id, grant_id, bound_at) VALUES (?, ?, ?)", params![id, grant_id, secs(now)])
                        .map_err(db)?
                } else {
                    0
                };
                if claimed + inserted == 0 {
                    return Ok(BindOutcome::AlreadyBound);
                }
            }
            for pdl in &pdls {
                tx.execute("INSERT OR IGNORE INTO grant_meters (grant_id, pdl) VALUES (?, ?)", params![grant_id, pdl]).map_err(db)?;
                if let Some(family) = grant.family_id {
                    tx.execute("INSERT OR IGNORE INTO family_meters (family_id, pdl) VALUES (?, ?)", params![family, pdl]).map_err(db)?;
                }
            }
            let end = secs(consent_expires_at);
            tx.execute(
                "UPDATE grants SET consent_expires_at = MIN(COALESCE(consent_expires_at, ?1), ?1), status = CASE status WHEN 'denied' THEN 'pending' ELSE status END WHERE id = ?2",
                params![end, grant_id],
            )
            .map_err(db)?;
            if let Some(family) = grant.family_id {
                tx.execute("UPDATE families SET consent_expires_at = MIN(COALESCE(consent_expires_at, ?1), ?1) WHERE id = ?2", params![end, family]).map_err(db)?;
            }
            let grant = grant_where(tx, "id = ?1", &grant_id, None)?.ok_or_else(|| StoreError::Corrupt("grant vanished".into()))?;
            Ok(BindOutcome::Bound(grant))
        })
        .await
    }

    async fn claim_autorisation(
        &self,
        autorisation_id: i64,
        grant_id: Option<i64>,
        _now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.tx(move |tx| {
            // Claimed, not bound yet: bound_at 0. A burnt one (no flow) has grant 0, which no
            // grant has, so it can never be bound.
            let inserted = tx
                .execute(
                    "INSERT OR IGNORE INTO autorisations (autorisation_id, grant_id, bound_at) VALUES (?, ?, 0)",
                    params![autorisation_id, grant_id.unwrap_or(0)],
                )
                .map_err(db)?;
            Ok(inserted == 1)
        })
        .await
    }

    async fn deny_grant(&self, grant_id: i64) -> Result<(), StoreError> {
        self.tx(move |tx| {
            tx.execute(
                "UPDATE grants SET status = 'denied' WHERE id = ? AND status = 'pending' AND NOT EXISTS (SELECT 1 FROM grant_meters WHERE grant_id = grants.id)",
                [grant_id],
            )
            .map_err(db)?;
            Ok(())
        })
        .await
    }

    async fn issue_tokens(
        &self,
        grant_id: i64,
        access: NewToken,
        refresh: NewToken,
        now: DateTime<Utc>,
    ) -> Result<IssueOutcome, StoreError> {
        self.tx(move |tx| {
            let Some(grant) = grant_where(tx, "id = ?1", &grant_id, None)? else { return Ok(IssueOutcome::AlreadyConsumed) };
            if grant.status != GrantStatus::Pending || grant.meters.is_empty() {
                return Ok(IssueOutcome::AlreadyConsumed);
            }
            tx.execute(
                "INSERT INTO families (client_id, created_at, consent_expires_at) VALUES (?, ?, ?)",
                params![grant.client_id, secs(now), grant.consent_expires_at.map(secs)],
            )
            .map_err(db)?;
            let family_id = tx.last_insert_rowid();
            tx.execute("INSERT INTO family_meters (family_id, pdl) SELECT ?, pdl FROM grant_meters WHERE grant_id = ? ORDER BY rowid", params![family_id, grant_id])
                .map_err(db)?;
            insert_token(tx, family_id, "access", &access, now)?;
            insert_token(tx, family_id, "refresh", &refresh, now)?;
            tx.execute("UPDATE grants SET status = 'consumed', family_id = ? WHERE id = ?", params![family_id, grant_id]).map_err(db)?;
            Ok(IssueOutcome::Issued(family(tx, family_id)?))
        })
        .await
    }

    async fn refresh_family(&self, refresh_hash: &str) -> Result<Option<Family>, StoreError> {
        let hash = refresh_hash.to_owned();
        self.tx(move |tx| {
            let id: Option<i64> = tx
                .query_row(
                    "SELECT family_id FROM tokens WHERE hash = ? AND kind = 'refresh'",
                    [&hash],
                    |r| r.get(0),
                )
                .optional()
                .map_err(db)?;
            id.map(|id| family(tx, id)).transpose()
        })
        .await
    }

    async fn refresh(
        &self,
        refresh_hash: &str,
        access: NewToken,
        refresh: NewToken,
        grace: Duration,
        now: DateTime<Utc>,
    ) -> Result<RefreshOutcome, StoreError> {
        let old = refresh_hash.to_owned();
        self.tx(move |tx| {
            type Row = (i64, String, i64, Option<i64>, Option<String>, Option<i64>);
            let row: Option<Row> = tx
                .query_row(
                    "SELECT t.family_id, t.kind, t.expires_at, t.replaced_at, t.replaced_by, f.revoked_at FROM tokens t JOIN families f ON f.id = t.family_id WHERE t.hash = ?",
                    [&old],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
                )
                .optional()
                .map_err(db)?;
            let Some((family_id, kind, expires_at, replaced_at, replaced_by, revoked_at)) = row else {
                return Ok(RefreshOutcome::Invalid);
            };
            if kind != "refresh" || revoked_at.is_some() || expires_at <= secs(now) {
                return Ok(RefreshOutcome::Invalid);
            }
            // The token that replaced this one was never presented: its reply was lost on the way
            // (a daemon retrying after a cut connection), not stolen.
            let successor_unused = match &replaced_by {
                Some(successor) => tx
                    .query_row(
                        "SELECT replaced_at IS NULL FROM tokens WHERE hash = ?",
                        [successor],
                        |r| r.get::<_, bool>(0),
                    )
                    .optional()
                    .map_err(db)?
                    .unwrap_or(false),
                None => false,
            };
            let outcome = match replaced_at {
                None => RefreshOutcome::Rotated(family(tx, family_id)?),
                Some(at) if successor_unused && secs(now) - at <= grace.num_seconds() => {
                    // The reply carrying the successor was probably lost: retire the successor.
                    if let Some(successor) = replaced_by {
                        tx.execute("UPDATE tokens SET replaced_at = ?, grace_used = 1 WHERE hash = ? AND replaced_at IS NULL", params![secs(now), successor]).map_err(db)?;
                    }
                    RefreshOutcome::GraceReuse(family(tx, family_id)?)
                }
                Some(_) => {
                    tx.execute("UPDATE families SET revoked_at = ? WHERE id = ?", params![secs(now), family_id]).map_err(db)?;
                    return Ok(RefreshOutcome::ReuseDetected);
                }
            };
            let grace_spent = matches!(outcome, RefreshOutcome::GraceReuse(_));
            // A refresh token never outlives the consent behind its family.
            let consent_end = match &outcome {
                RefreshOutcome::Rotated(f) | RefreshOutcome::GraceReuse(f) => f.consent_expires_at,
                _ => None,
            };
            let refresh = NewToken { expires_at: consent_end.map_or(refresh.expires_at, |end| end.min(refresh.expires_at)), ..refresh };
            tx.execute(
                "UPDATE tokens SET replaced_at = COALESCE(replaced_at, ?), replaced_by = ?, grace_used = grace_used OR ? WHERE hash = ?",
                params![secs(now), refresh.hash, grace_spent, old],
            )
            .map_err(db)?;
            insert_token(tx, family_id, "access", &access, now)?;
            insert_token(tx, family_id, "refresh", &refresh, now)?;
            Ok(outcome)
        })
        .await
    }

    async fn access(
        &self,
        access_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Family>, StoreError> {
        let hash = access_hash.to_owned();
        self.tx(move |tx| {
            let id: Option<i64> = tx
                .query_row(
                    "SELECT t.family_id FROM tokens t JOIN families f ON f.id = t.family_id WHERE t.hash = ? AND t.kind = 'access' AND t.expires_at > ? AND f.revoked_at IS NULL",
                    params![hash, secs(now)],
                    |r| r.get(0),
                )
                .optional()
                .map_err(db)?;
            id.map(|id| family(tx, id)).transpose()
        })
        .await
    }

    async fn revoke_family(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let hash = token_hash.to_owned();
        self.tx(move |tx| {
            let id: Option<i64> = tx
                .query_row(
                    "SELECT family_id FROM tokens WHERE hash = ?",
                    [&hash],
                    |r| r.get(0),
                )
                .optional()
                .map_err(db)?;
            let Some(id) = id else { return Ok(false) };
            tx.execute(
                "UPDATE families SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?",
                params![secs(now), id],
            )
            .map_err(db)?;
            Ok(true)
        })
        .await
    }

    async fn record_failed_guess(
        &self,
        client: &str,
        now: DateTime<Utc>,
        since: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        let client = client.to_owned();
        self.tx(move |tx| {
            tx.execute(
                "INSERT INTO guesses (client, at) VALUES (?, ?)",
                params![client, secs(now)],
            )
            .map_err(db)?;
            tx.query_row(
                "SELECT COUNT(*) FROM guesses WHERE client = ? AND at >= ?",
                params![client, secs(since)],
                |r| r.get(0),
            )
            .map_err(db)
        })
        .await
    }

    async fn refund_guess(&self, client: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let client = client.to_owned();
        self.tx(move |tx| {
            tx.execute(
                "DELETE FROM guesses WHERE rowid = (SELECT rowid FROM guesses WHERE client = ? AND at = ? LIMIT 1)",
                params![client, secs(at)],
            )
            .map_err(db)?;
            Ok(())
        })
        .await
    }

    async fn failed_guesses(&self, client: &str, since: DateTime<Utc>) -> Result<u32, StoreError> {
        let client = client.to_owned();
        self.tx(move |tx| {
            tx.query_row(
                "SELECT COUNT(*) FROM guesses WHERE client = ? AND at >= ?",
                params![client, secs(since)],
                |r| r.get(0),
            )
            .map_err(db)
        })
        .await
    }

    async fn take_upstream_calls(
        &self,
        now: DateTime<Utc>,
        per_second: u32,
        per_hour: u32,
        want: u32,
    ) -> Result<UpstreamSlot, StoreError> {
        self.tx(move |tx| {
            let (second, hour) = (secs(now), secs(now) - secs(now).rem_euclid(3600));
            let paused: Option<i64> = tx
                .query_row("SELECT until FROM upstream_pause WHERE id = 1", [], |r| r.get(0))
                .optional()
                .map_err(db)?;
            if let Some(until) = paused.filter(|u| *u > second) {
                return Ok(UpstreamSlot::Paused { until: time(until) });
            }
            let used = |kind: &str, start: i64| -> Result<i64, StoreError> {
                tx.query_row(
                    "SELECT COALESCE((SELECT used FROM upstream_budget WHERE kind = ? AND start = ?), 0)",
                    params![kind, start],
                    |r| r.get(0),
                )
                .map_err(db)
            };
            let hour_left = i64::from(per_hour) - used("h", hour)?;
            if hour_left <= 0 {
                return Ok(UpstreamSlot::HourFull { next_hour: time(hour + 3600) });
            }
            let second_left = i64::from(per_second) - used("s", second)?;
            if second_left <= 0 {
                return Ok(UpstreamSlot::SecondFull);
            }
            let granted = i64::from(want.max(1)).min(hour_left).min(second_left);
            for (kind, start) in [("h", hour), ("s", second)] {
                tx.execute(
                    "INSERT INTO upstream_budget (kind, start, used) VALUES (?1, ?2, ?3) ON CONFLICT (kind, start) DO UPDATE SET used = used + ?3",
                    params![kind, start, granted],
                )
                .map_err(db)?;
            }
            Ok(UpstreamSlot::Granted(granted as u32))
        })
        .await
    }

    async fn pause_upstream(&self, until: DateTime<Utc>) -> Result<(), StoreError> {
        self.tx(move |tx| {
            tx.execute(
                "INSERT INTO upstream_pause (id, until) VALUES (1, ?1) ON CONFLICT (id) DO UPDATE SET until = MAX(until, ?1)",
                [secs(until)],
            )
            .map_err(db)?;
            Ok(())
        })
        .await
    }

    async fn families(&self, meter: Option<&str>) -> Result<Vec<FamilyRecord>, StoreError> {
        let meter = meter.map(str::to_owned);
        self.tx(move |tx| {
            let sql = match meter {
                Some(_) => "SELECT f.id, f.client_id, f.created_at, f.consent_expires_at, f.revoked_at, (SELECT MAX(t.expires_at) FROM tokens t WHERE t.family_id = f.id) FROM families f WHERE EXISTS (SELECT 1 FROM family_meters m WHERE m.family_id = f.id AND m.pdl = ?1) ORDER BY f.id DESC",
                None => "SELECT f.id, f.client_id, f.created_at, f.consent_expires_at, f.revoked_at, (SELECT MAX(t.expires_at) FROM tokens t WHERE t.family_id = f.id) FROM families f WHERE ?1 IS NULL ORDER BY f.id DESC",
            };
            let mut stmt = tx.prepare(sql).map_err(db)?;
            type Row = (i64, String, i64, Option<i64>, Option<i64>, Option<i64>);
            let rows: Vec<Row> = stmt
                .query_map([&meter], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
                })
                .map_err(db)?
                .collect::<Result<_, _>>()
                .map_err(db)?;
            rows.into_iter()
                .map(|(id, client_id, created, consent, revoked, until)| {
                    Ok(FamilyRecord {
                        id,
                        client_id,
                        meters: meters(
                            tx,
                            "SELECT pdl FROM family_meters WHERE family_id = ? ORDER BY rowid",
                            id,
                        )?,
                        created_at: time(created),
                        consent_expires_at: consent.map(time),
                        revoked_at: revoked.map(time),
                        tokens_until: until.map(time),
                    })
                })
                .collect()
        })
        .await
    }

    async fn revoke_family_id(&self, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
        self.tx(move |tx| {
            tx.execute(
                "UPDATE families SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                params![secs(now), id],
            )
            .map(|n| n == 1)
            .map_err(db)
        })
        .await
    }

    async fn revoke_meter(&self, meter: &str, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let meter = meter.to_owned();
        self.tx(move |tx| {
            tx.execute(
                "UPDATE families SET revoked_at = ? WHERE revoked_at IS NULL AND id IN (SELECT family_id FROM family_meters WHERE pdl = ?)",
                params![secs(now), meter],
            )
            .map(|n| n as u64)
            .map_err(db)
        })
        .await
    }

    async fn quota_state(&self, now: DateTime<Utc>) -> Result<QuotaState, StoreError> {
        self.tx(move |tx| {
            let (second, hour) = (secs(now), secs(now) - secs(now).rem_euclid(3600));
            let used = |kind: &str, start: i64| -> Result<u32, StoreError> {
                tx.query_row(
                    "SELECT COALESCE((SELECT used FROM upstream_budget WHERE kind = ? AND start = ?), 0)",
                    params![kind, start],
                    |r| r.get::<_, i64>(0),
                )
                .map(|n| n as u32)
                .map_err(db)
            };
            let paused: Option<i64> = tx
                .query_row("SELECT until FROM upstream_pause WHERE id = 1", [], |r| r.get(0))
                .optional()
                .map_err(db)?;
            Ok(QuotaState {
                second: used("s", second)?,
                hour: used("h", hour)?,
                paused_until: paused.filter(|u| *u > second).map(time),
            })
        })
        .await
    }

    async fn live_counts(&self, now: DateTime<Utc>) -> Result<(u64, u64), StoreError> {
        self.tx(move |tx| {
            let count = |sql: &str| -> Result<u64, StoreError> {
                tx.query_row(sql, [secs(now)], |r| r.get::<_, i64>(0))
                    .map(|n| n as u64)
                    .map_err(db)
            };
            Ok((
                count("SELECT COUNT(*) FROM grants WHERE status = 'pending' AND expires_at > ?1")?,
                count("SELECT COUNT(*) FROM families f WHERE f.revoked_at IS NULL AND EXISTS (SELECT 1 FROM tokens t WHERE t.family_id = f.id AND t.expires_at > ?1)")?,
            ))
        })
        .await
    }

    async fn purge_expired(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        self.tx(move |tx| {
            let mut n = 0;
            // Counts of past seconds and hours are of no use.
            n += tx
                .execute(
                    "DELETE FROM upstream_budget WHERE start < ?",
                    [secs(now - Duration::hours(2))],
                )
                .map_err(db)?;
            n += tx
                .execute("DELETE FROM states WHERE expires_at < ?", [secs(now)])
                .map_err(db)?;
            // An unused code is of no use once expired; a consumed grant's row is kept with
            // its tokens.
            n += tx
                .execute(
                    "DELETE FROM grants WHERE expires_at < ? AND status != 'consumed'",
                    [secs(now)],
                )
                .map_err(db)?;
            n += tx
                .execute("DELETE FROM tokens WHERE expires_at < ?", [secs(now)])
                .map_err(db)?;
            n += tx
                .execute(
                    "DELETE FROM guesses WHERE at < ?",
                    [secs(now - Duration::hours(1))],
                )
                .map_err(db)?;
            Ok(n as u64)
        })
        .await
    }
}
