//! The PostgreSQL backend of linky-proxy's store, for several instances behind a load balancer
//! on one database.
//!
//! Every trait method is one SERIALIZABLE transaction on a pooled connection: two instances
//! racing on the same refresh token, `autorisation_id`, user code or guess counter get exactly
//! the answers one instance would give, because PostgreSQL aborts one of two conflicting
//! transactions (SQLSTATE 40001) and the method runs again from the start on fresh data.
//!
//! Migrations are embedded and run at connection, under an advisory lock so that instances
//! starting together migrate once; a database of a newer schema than this binary knows is
//! refused. Times are stored as Unix seconds, as in the SQLite backend.

use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Duration, Utc};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Transaction};
use linky_proxy_store::{
    BindOutcome, Family, FamilyRecord, Grant, GrantStatus, IssueOutcome, NewGrant, NewToken,
    ProxyStore, QuotaState, RefreshOutcome, StoreError, UpstreamSlot,
};
use tokio_postgres::error::SqlState;
use tokio_postgres::{IsolationLevel, NoTls, Row};

/// Migrations, in order; the `linky_proxy_schema` table records how many ran.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_initial.sql"),
    include_str!("../migrations/0002_upstream_budget.sql"),
];

/// The advisory lock key instances take to migrate one at a time ("linkypxy").
const MIGRATION_LOCK: i64 = 0x6c69_6e6b_7970_7879;

/// How many times a transaction PostgreSQL aborted for a conflict runs again.
const RETRIES: u32 = 40;

/// Connections per instance.
const POOL_SIZE: usize = 16;

/// A store on a PostgreSQL database.
#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
}

/// What a transaction's body can fail with: PostgreSQL's error (a conflict is retried) or the
/// store's own.
enum TxError {
    Postgres(tokio_postgres::Error),
    Store(StoreError),
}

impl From<tokio_postgres::Error> for TxError {
    fn from(e: tokio_postgres::Error) -> TxError {
        TxError::Postgres(e)
    }
}

impl From<StoreError> for TxError {
    fn from(e: StoreError) -> TxError {
        TxError::Store(e)
    }
}

fn db(e: impl std::fmt::Display) -> StoreError {
    StoreError::Database(e.to_string())
}

fn secs(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

fn time(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(s, 0).unwrap_or_default()
}

/// A transaction body: borrows the transaction, may run several times.
type Body<'c, T> = Pin<Box<dyn Future<Output = Result<T, TxError>> + Send + 'c>>;

impl PostgresStore {
    /// Connects to `postgres://user:password@host:port/database` (or `postgresql://`), and
    /// brings the schema up to date. Nothing of the URL but its host and database reaches an
    /// error message.
    pub async fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        let config: tokio_postgres::Config = url.parse().map_err(|_| {
            StoreError::Database(
                "not a PostgreSQL URL (expected postgres://user:password@host:port/database)"
                    .into(),
            )
        })?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .wait_timeout(Some(std::time::Duration::from_secs(10)))
            .create_timeout(Some(std::time::Duration::from_secs(10)))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()
            .map_err(db)?;
        let store = PostgresStore { pool };
        store.migrate().await?;
        Ok(store)
    }

    /// The schema version this binary brings.
    pub fn schema_version() -> usize {
        MIGRATIONS.len()
    }

    /// The schema version of the database (0 for an empty one).
    pub async fn database_version(&self) -> Result<usize, StoreError> {
        let client = self.pool.get().await.map_err(db)?;
        let exists: bool = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_name = 'linky_proxy_schema')",
                &[],
            )
            .await
            .map_err(db)?
            .get(0);
        if !exists {
            return Ok(0);
        }
        let version: i64 = client
            .query_one(
                "SELECT COALESCE(MAX(version), 0) FROM linky_proxy_schema",
                &[],
            )
            .await
            .map_err(db)?
            .get(0);
        Ok(version as usize)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let mut client = self.pool.get().await.map_err(db)?;
        let tx = client.transaction().await.map_err(db)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(db)?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS linky_proxy_schema (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
        )
        .await
        .map_err(db)?;
        let version: i64 = tx
            .query_one(
                "SELECT COALESCE(MAX(version), 0) FROM linky_proxy_schema",
                &[],
            )
            .await
            .map_err(db)?
            .get(0);
        let version = version as usize;
        if version > MIGRATIONS.len() {
            return Err(StoreError::Database(format!(
                "the database schema (version {version}) is newer than this linky-proxy knows ({}); upgrade linky-proxy",
                MIGRATIONS.len()
            )));
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
            tx.batch_execute(sql)
                .await
                .map_err(|e| StoreError::Database(format!("schema migration {}: {e}", i + 1)))?;
            tx.execute(
                "INSERT INTO linky_proxy_schema (version, applied_at) VALUES ($1, $2)",
                &[&((i + 1) as i64), &Utc::now().timestamp()],
            )
            .await
            .map_err(db)?;
        }
        tx.commit().await.map_err(db)
    }

    /// Runs `body` in one SERIALIZABLE transaction, again from the start when PostgreSQL
    /// aborts it for a conflict with a concurrent one.
    async fn tx<T, F>(&self, body: F) -> Result<T, StoreError>
    where
        T: Send,
        F: for<'c> Fn(&'c Transaction<'c>) -> Body<'c, T> + Send + Sync,
    {
        self.tx_at(IsolationLevel::Serializable, body).await
    }

    /// Runs `body` in one READ COMMITTED transaction that first takes the advisory lock `key`:
    /// for counters many requests update at once (guesses from one address, Enedis's budget),
    /// which would otherwise abort each other; each statement then sees what the previous
    /// holders committed.
    async fn locked_tx<T, F>(&self, key: LockKey, body: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'c> Fn(&'c Transaction<'c>) -> Body<'c, T> + Send + Sync,
    {
        self.tx_at(IsolationLevel::ReadCommitted, |tx| {
            let key = key.clone();
            let rest = body(tx);
            Box::pin(async move {
                match &key {
                    LockKey::Fixed(k) => {
                        tx.execute("SELECT pg_advisory_xact_lock($1)", &[k]).await?
                    }
                    LockKey::Text(t) => {
                        tx.execute(
                            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                            &[t],
                        )
                        .await?
                    }
                };
                rest.await
            })
        })
        .await
    }

    async fn tx_at<T, F>(&self, isolation: IsolationLevel, body: F) -> Result<T, StoreError>
    where
        T: Send,
        F: for<'c> Fn(&'c Transaction<'c>) -> Body<'c, T> + Send + Sync,
    {
        let mut attempt = 0;
        loop {
            let mut client = self.pool.get().await.map_err(db)?;
            let tx = client
                .build_transaction()
                .isolation_level(isolation)
                .start()
                .await
                .map_err(db)?;
            let outcome = match body(&tx).await {
                Ok(value) => tx.commit().await.map(|()| value).map_err(TxError::from),
                Err(e) => Err(e),
            };
            match outcome {
                Ok(value) => return Ok(value),
                Err(TxError::Postgres(e)) if conflict(&e) && attempt < RETRIES => {
                    attempt += 1;
                    // A short, growing pause lets the winner finish.
                    tokio::time::sleep(std::time::Duration::from_millis(u64::from(attempt) * 3))
                        .await;
                }
                Err(TxError::Postgres(e)) => return Err(db(e)),
                Err(TxError::Store(e)) => return Err(e),
            }
        }
    }
}

/// What a locked transaction locks.
#[derive(Clone)]
enum LockKey {
    /// One fixed key.
    Fixed(i64),
    /// A key derived from a text (a client address).
    Text(String),
}

/// The advisory lock of Enedis's shared budget ("linkyqta").
const BUDGET_LOCK: i64 = 0x6c69_6e6b_7971_7461;

/// Makes a new, empty database on the server at `server_url` (whose user may create databases)
/// and gives its URL: for tests and benchmarks, each of which wants a clean one.
pub async fn create_test_database(server_url: &str) -> Result<String, StoreError> {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let (client, connection) = tokio_postgres::connect(server_url, NoTls)
        .await
        .map_err(db)?;
    tokio::spawn(connection);
    let name = format!(
        "linky_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        Utc::now().timestamp_subsec_nanos()
    );
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .map_err(db)?;
    let base = server_url
        .rsplit_once('/')
        .map_or(server_url, |(base, _)| base);
    Ok(format!("{base}/{name}"))
}

/// A serialization failure or a deadlock: the transaction can run again.
fn conflict(e: &tokio_postgres::Error) -> bool {
    matches!(
        e.code(),
        Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED
    )
}

async fn meters(tx: &Transaction<'_>, sql: &str, id: i64) -> Result<Vec<String>, TxError> {
    let stmt = tx.prepare_cached(sql).await?;
    Ok(tx
        .query(&stmt, &[&id])
        .await?
        .iter()
        .map(|r| r.get::<_, String>(0))
        .collect())
}

const GRANT_COLUMNS: &str = "id, client_id, user_code, expires_at, interval_seconds, last_poll_at, status, consent_expires_at, family_id, created_at, client_address";

/// Which grant to read.
enum GrantKey<'a> {
    Id(i64),
    DeviceCode(&'a str),
    LiveUserCode(&'a str, i64),
}

async fn grant(tx: &Transaction<'_>, key: GrantKey<'_>) -> Result<Option<Grant>, TxError> {
    let rows = match key {
        GrantKey::Id(id) => {
            let stmt = tx
                .prepare_cached(&format!("SELECT {GRANT_COLUMNS} FROM grants WHERE id = $1"))
                .await?;
            tx.query(&stmt, &[&id]).await?
        }
        GrantKey::DeviceCode(hash) => {
            let stmt = tx
                .prepare_cached(&format!(
                    "SELECT {GRANT_COLUMNS} FROM grants WHERE device_code_hash = $1 ORDER BY id DESC LIMIT 1"
                ))
                .await?;
            tx.query(&stmt, &[&hash]).await?
        }
        GrantKey::LiveUserCode(code, now) => {
            let stmt = tx
                .prepare_cached(&format!(
                    "SELECT {GRANT_COLUMNS} FROM grants WHERE user_code = $1 AND expires_at > $2 ORDER BY id DESC LIMIT 1"
                ))
                .await?;
            tx.query(&stmt, &[&code, &now]).await?
        }
    };
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let mut grant = grant_row(row)?;
    grant.meters = meters(
        tx,
        "SELECT pdl FROM grant_meters WHERE grant_id = $1 ORDER BY seq",
        grant.id,
    )
    .await?;
    Ok(Some(grant))
}

fn grant_row(r: &Row) -> Result<Grant, TxError> {
    Ok(Grant {
        id: r.get(0),
        client_id: r.get(1),
        user_code: r.get(2),
        expires_at: time(r.get(3)),
        interval_seconds: r.get(4),
        last_poll_at: r.get::<_, Option<i64>>(5).map(time),
        status: GrantStatus::parse(r.get::<_, &str>(6))?,
        meters: Vec::new(),
        consent_expires_at: r.get::<_, Option<i64>>(7).map(time),
        family_id: r.get(8),
        created_at: time(r.get(9)),
        client_address: r.get(10),
    })
}

async fn family(tx: &Transaction<'_>, id: i64) -> Result<Family, TxError> {
    let stmt = tx
        .prepare_cached("SELECT client_id, consent_expires_at FROM families WHERE id = $1")
        .await?;
    let row = tx.query_one(&stmt, &[&id]).await?;
    Ok(Family {
        id,
        client_id: row.get(0),
        meters: meters(
            tx,
            "SELECT pdl FROM family_meters WHERE family_id = $1 ORDER BY seq",
            id,
        )
        .await?,
        consent_expires_at: row.get::<_, Option<i64>>(1).map(time),
    })
}

async fn insert_token(
    tx: &Transaction<'_>,
    family_id: i64,
    kind: &str,
    token: &NewToken,
    now: DateTime<Utc>,
) -> Result<(), TxError> {
    let stmt = tx
        .prepare_cached(
            "INSERT INTO tokens (hash, family_id, kind, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .await?;
    tx.execute(
        &stmt,
        &[
            &token.hash,
            &family_id,
            &kind,
            &secs(now),
            &secs(token.expires_at),
        ],
    )
    .await?;
    Ok(())
}

async fn count_guesses(tx: &Transaction<'_>, client: &str, since: i64) -> Result<u32, TxError> {
    let stmt = tx
        .prepare_cached("SELECT COUNT(*) FROM guesses WHERE client = $1 AND at >= $2")
        .await?;
    let n: i64 = tx.query_one(&stmt, &[&client, &since]).await?.get(0);
    Ok(n as u32)
}

impl ProxyStore for PostgresStore {
    fn shared_by_instances(&self) -> bool {
        true
    }

    async fn health(&self) -> Result<(), StoreError> {
        self.tx(|tx| {
            Box::pin(async move {
                tx.query_one("SELECT 1", &[]).await?;
                Ok(())
            })
        })
        .await
    }

    async fn create_grant(&self, g: NewGrant) -> Result<bool, StoreError> {
        self.tx(|tx| {
            let g = g.clone();
            Box::pin(async move {
                let taken: bool = tx
                    .query_one(
                        "SELECT EXISTS (SELECT 1 FROM grants WHERE user_code = $1 AND expires_at > $2)",
                        &[&g.user_code, &secs(g.created_at)],
                    )
                    .await?
                    .get(0);
                if taken {
                    return Ok(false);
                }
                tx.execute(
                    "INSERT INTO grants (device_code_hash, user_code, client_id, created_at, expires_at, interval_seconds, status, client_address) VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7)",
                    &[&g.device_code_hash, &g.user_code, &g.client_id, &secs(g.created_at), &secs(g.expires_at), &g.interval_seconds, &g.client_address],
                )
                .await?;
                Ok(true)
            })
        })
        .await
    }

    async fn grant_by_user_code(
        &self,
        user_code: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Grant>, StoreError> {
        let code = user_code.to_owned();
        self.tx(|tx| {
            let code = code.clone();
            Box::pin(async move { grant(tx, GrantKey::LiveUserCode(&code, secs(now))).await })
        })
        .await
    }

    async fn grant_by_device_code(
        &self,
        device_code_hash: &str,
    ) -> Result<Option<Grant>, StoreError> {
        let hash = device_code_hash.to_owned();
        self.tx(|tx| {
            let hash = hash.clone();
            Box::pin(async move { grant(tx, GrantKey::DeviceCode(&hash)).await })
        })
        .await
    }

    async fn record_poll(
        &self,
        grant_id: i64,
        at: DateTime<Utc>,
        interval_seconds: i64,
    ) -> Result<(), StoreError> {
        self.tx(|tx| {
            Box::pin(async move {
                tx.execute(
                    "UPDATE grants SET last_poll_at = $1, interval_seconds = $2 WHERE id = $3",
                    &[&secs(at), &interval_seconds, &grant_id],
                )
                .await?;
                Ok(())
            })
        })
        .await
    }

    async fn create_state(
        &self,
        state_hash: &str,
        grant_id: i64,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let state_hash = state_hash.to_owned();
        self.tx(|tx| {
            let state_hash = state_hash.clone();
            Box::pin(async move {
                tx.execute(
                    "INSERT INTO states (state_hash, grant_id, expires_at) VALUES ($1, $2, $3)",
                    &[&state_hash, &grant_id, &secs(expires_at)],
                )
                .await?;
                Ok(())
            })
        })
        .await
    }

    async fn take_state(
        &self,
        state_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError> {
        let state_hash = state_hash.to_owned();
        self.tx(|tx| {
            let state_hash = state_hash.clone();
            Box::pin(async move {
                let row = tx
                    .query_opt(
                        "SELECT grant_id, expires_at, used_at FROM states WHERE state_hash = $1",
                        &[&state_hash],
                    )
                    .await?;
                tx.execute(
                    "UPDATE states SET used_at = $1 WHERE state_hash = $2 AND used_at IS NULL",
                    &[&secs(now), &state_hash],
                )
                .await?;
                Ok(row.and_then(|r| {
                    let (grant, expires, used): (i64, i64, Option<i64>) =
                        (r.get(0), r.get(1), r.get(2));
                    (used.is_none() && expires > secs(now)).then_some(grant)
                }))
            })
        })
        .await
    }

    async fn claim_autorisation(
        &self,
        autorisation_id: i64,
        grant_id: Option<i64>,
        _now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.tx(|tx| {
            Box::pin(async move {
                // Claimed, not bound yet: bound_at 0. A burnt one (no flow) has grant 0, which
                // no grant has, so it can never be bound.
                let inserted = tx
                    .execute(
                        "INSERT INTO autorisations (autorisation_id, grant_id, bound_at) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING",
                        &[&autorisation_id, &grant_id.unwrap_or(0)],
                    )
                    .await?;
                Ok(inserted == 1)
            })
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
        self.tx(|tx| {
            let pdls = pdls.clone();
            Box::pin(async move {
                let Some(g) = grant(tx, GrantKey::Id(grant_id)).await? else {
                    return Ok(BindOutcome::NoGrant);
                };
                if g.expires_at <= now {
                    return Ok(BindOutcome::NoGrant);
                }
                if let Some(id) = autorisation_id {
                    // Claimed on its first arrival by this grant's flow (bound_at 0), or never
                    // seen: bound now. Anything else is a replay.
                    let claimed = tx
                        .execute(
                            "UPDATE autorisations SET bound_at = $1 WHERE autorisation_id = $2 AND grant_id = $3 AND bound_at = 0",
                            &[&secs(now), &id, &grant_id],
                        )
                        .await?;
                    let inserted = if claimed == 0 {
                        tx.execute(
                            "INSERT INTO autorisations (autorisation_id, grant_id, bound_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                            &[&id, &grant_id, &secs(now)],
                        )
                        .await?
                    } else {
                        0
                    };
                    if claimed + inserted == 0 {
                        return Ok(BindOutcome::AlreadyBound);
                    }
                }
                for pdl in &pdls {
                    tx.execute(
                        "INSERT INTO grant_meters (grant_id, pdl) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                        &[&grant_id, pdl],
                    )
                    .await?;
                    if let Some(family) = g.family_id {
                        tx.execute(
                            "INSERT INTO family_meters (family_id, pdl) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                            &[&family, pdl],
                        )
                        .await?;
                    }
                }
                let end = secs(consent_expires_at);
                tx.execute(
                    "UPDATE grants SET consent_expires_at = LEAST(COALESCE(consent_expires_at, $1), $1), status = CASE status WHEN 'denied' THEN 'pending' ELSE status END WHERE id = $2",
                    &[&end, &grant_id],
                )
                .await?;
                if let Some(family) = g.family_id {
                    tx.execute(
                        "UPDATE families SET consent_expires_at = LEAST(COALESCE(consent_expires_at, $1), $1) WHERE id = $2",
                        &[&end, &family],
                    )
                    .await?;
                }
                let g = grant(tx, GrantKey::Id(grant_id))
                    .await?
                    .ok_or_else(|| StoreError::Corrupt("grant vanished".into()))?;
                Ok(BindOutcome::Bound(g))
            })
        })
        .await
    }

    async fn deny_grant(&self, grant_id: i64) -> Result<(), StoreError> {
        self.tx(|tx| {
            Box::pin(async move {
                tx.execute(
                    "UPDATE grants SET status = 'denied' WHERE id = $1 AND status = 'pending' AND NOT EXISTS (SELECT 1 FROM grant_meters WHERE grant_id = grants.id)",
                    &[&grant_id],
                )
                .await?;
                Ok(())
            })
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
        self.tx(|tx| {
            let (access, refresh) = (access.clone(), refresh.clone());
            Box::pin(async move {
                let Some(g) = grant(tx, GrantKey::Id(grant_id)).await? else {
                    return Ok(IssueOutcome::AlreadyConsumed);
                };
                if g.status != GrantStatus::Pending || g.meters.is_empty() {
                    return Ok(IssueOutcome::AlreadyConsumed);
                }
                let family_id: i64 = tx
                    .query_one(
                        "INSERT INTO families (client_id, created_at, consent_expires_at) VALUES ($1, $2, $3) RETURNING id",
                        &[&g.client_id, &secs(now), &g.consent_expires_at.map(secs)],
                    )
                    .await?
                    .get(0);
                tx.execute(
                    "INSERT INTO family_meters (family_id, pdl) SELECT $1, pdl FROM grant_meters WHERE grant_id = $2 ORDER BY seq",
                    &[&family_id, &grant_id],
                )
                .await?;
                insert_token(tx, family_id, "access", &access, now).await?;
                insert_token(tx, family_id, "refresh", &refresh, now).await?;
                tx.execute(
                    "UPDATE grants SET status = 'consumed', family_id = $1 WHERE id = $2",
                    &[&family_id, &grant_id],
                )
                .await?;
                Ok(IssueOutcome::Issued(family(tx, family_id).await?))
            })
        })
        .await
    }

    async fn refresh_family(&self, refresh_hash: &str) -> Result<Option<Family>, StoreError> {
        let refresh_hash = refresh_hash.to_owned();
        self.tx(|tx| {
            let refresh_hash = refresh_hash.clone();
            Box::pin(async move {
                let row = tx
                    .query_opt(
                        "SELECT family_id FROM tokens WHERE hash = $1 AND kind = 'refresh'",
                        &[&refresh_hash],
                    )
                    .await?;
                match row {
                    Some(r) => Ok(Some(family(tx, r.get(0)).await?)),
                    None => Ok(None),
                }
            })
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
        let refresh_hash = refresh_hash.to_owned();
        self.tx(|tx| {
            let (access, refresh) = (access.clone(), refresh.clone());
            let refresh_hash = refresh_hash.clone();
            Box::pin(async move {
                let row = tx
                    .query_opt(
                        "SELECT t.family_id, t.kind, t.expires_at, t.replaced_at, t.replaced_by, f.revoked_at FROM tokens t JOIN families f ON f.id = t.family_id WHERE t.hash = $1",
                        &[&refresh_hash],
                    )
                    .await?;
                let Some(row) = row else {
                    return Ok(RefreshOutcome::Invalid);
                };
                let family_id: i64 = row.get(0);
                let kind: &str = row.get(1);
                let expires_at: i64 = row.get(2);
                let replaced_at: Option<i64> = row.get(3);
                let replaced_by: Option<String> = row.get(4);
                let revoked_at: Option<i64> = row.get(5);
                if kind != "refresh" || revoked_at.is_some() || expires_at <= secs(now) {
                    return Ok(RefreshOutcome::Invalid);
                }
                // The token that replaced this one was never presented: its reply was lost on
                // the way (a daemon retrying after a cut connection), not stolen.
                let successor_unused = match &replaced_by {
                    Some(successor) => tx
                        .query_opt(
                            "SELECT replaced_at IS NULL FROM tokens WHERE hash = $1",
                            &[successor],
                        )
                        .await?
                        .is_some_and(|r| r.get::<_, bool>(0)),
                    None => false,
                };
                let outcome = match replaced_at {
                    None => RefreshOutcome::Rotated(family(tx, family_id).await?),
                    Some(at) if successor_unused && secs(now) - at <= grace.num_seconds() => {
                        // The reply carrying the successor was probably lost: retire it.
                        if let Some(successor) = &replaced_by {
                            tx.execute(
                                "UPDATE tokens SET replaced_at = $1, grace_used = TRUE WHERE hash = $2 AND replaced_at IS NULL",
                                &[&secs(now), successor],
                            )
                            .await?;
                        }
                        RefreshOutcome::GraceReuse(family(tx, family_id).await?)
                    }
                    Some(_) => {
                        tx.execute(
                            "UPDATE families SET revoked_at = $1 WHERE id = $2",
                            &[&secs(now), &family_id],
                        )
                        .await?;
                        return Ok(RefreshOutcome::ReuseDetected);
                    }
                };
                let grace_spent = matches!(outcome, RefreshOutcome::GraceReuse(_));
                // A refresh token never outlives the consent behind its family.
                let consent_end = match &outcome {
                    RefreshOutcome::Rotated(f) | RefreshOutcome::GraceReuse(f) => {
                        f.consent_expires_at
                    }
                    _ => None,
                };
                let refresh = NewToken {
                    expires_at: consent_end
                        .map_or(refresh.expires_at, |end| end.min(refresh.expires_at)),
                    ..refresh
                };
                tx.execute(
                    "UPDATE tokens SET replaced_at = COALESCE(replaced_at, $1), replaced_by = $2, grace_used = grace_used OR $3 WHERE hash = $4",
                    &[&secs(now), &refresh.hash, &grace_spent, &refresh_hash],
                )
                .await?;
                insert_token(tx, family_id, "access", &access, now).await?;
                insert_token(tx, family_id, "refresh", &refresh, now).await?;
                Ok(outcome)
            })
        })
        .await
    }

    async fn access(
        &self,
        access_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Family>, StoreError> {
        let access_hash = access_hash.to_owned();
        self.tx(|tx| {
            let access_hash = access_hash.clone();
            Box::pin(async move {
                let stmt = tx
                    .prepare_cached(
                        "SELECT t.family_id FROM tokens t JOIN families f ON f.id = t.family_id WHERE t.hash = $1 AND t.kind = 'access' AND t.expires_at > $2 AND f.revoked_at IS NULL",
                    )
                    .await?;
                match tx.query_opt(&stmt, &[&access_hash, &secs(now)]).await? {
                    Some(r) => Ok(Some(family(tx, r.get(0)).await?)),
                    None => Ok(None),
                }
            })
        })
        .await
    }

    async fn revoke_family(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let token_hash = token_hash.to_owned();
        self.tx(|tx| {
            let token_hash = token_hash.clone();
            Box::pin(async move {
                let Some(row) = tx
                    .query_opt(
                        "SELECT family_id FROM tokens WHERE hash = $1",
                        &[&token_hash],
                    )
                    .await?
                else {
                    return Ok(false);
                };
                let id: i64 = row.get(0);
                tx.execute(
                    "UPDATE families SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2",
                    &[&secs(now), &id],
                )
                .await?;
                Ok(true)
            })
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
        self.locked_tx(LockKey::Text(client.clone()), |tx| {
            let client = client.clone();
            Box::pin(async move {
                tx.execute(
                    "INSERT INTO guesses (client, at) VALUES ($1, $2)",
                    &[&client, &secs(now)],
                )
                .await?;
                count_guesses(tx, &client, secs(since)).await
            })
        })
        .await
    }

    async fn refund_guess(&self, client: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let client = client.to_owned();
        self.tx(|tx| {
            let client = client.clone();
            Box::pin(async move {
                tx.execute(
                    "DELETE FROM guesses WHERE id = (SELECT id FROM guesses WHERE client = $1 AND at = $2 LIMIT 1)",
                    &[&client, &secs(at)],
                )
                .await?;
                Ok(())
            })
        })
        .await
    }

    async fn failed_guesses(&self, client: &str, since: DateTime<Utc>) -> Result<u32, StoreError> {
        let client = client.to_owned();
        self.tx(|tx| {
            let client = client.clone();
            Box::pin(async move { count_guesses(tx, &client, secs(since)).await })
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
        self.locked_tx(LockKey::Fixed(BUDGET_LOCK), |tx| {
            Box::pin(async move {
                let (second, hour) = (secs(now), secs(now) - secs(now).rem_euclid(3600));
                let paused = tx
                    .query_opt("SELECT until FROM upstream_pause WHERE id = 1", &[])
                    .await?
                    .map(|r| r.get::<_, i64>(0));
                if let Some(until) = paused.filter(|u| *u > second) {
                    return Ok(UpstreamSlot::Paused { until: time(until) });
                }
                let used = tx
                    .prepare_cached(
                        "SELECT COALESCE((SELECT used FROM upstream_budget WHERE kind = $1 AND start = $2), 0)",
                    )
                    .await?;
                let hour_used: i32 = tx.query_one(&used, &[&"h", &hour]).await?.get(0);
                let hour_left = i64::from(per_hour) - i64::from(hour_used);
                if hour_left <= 0 {
                    return Ok(UpstreamSlot::HourFull {
                        next_hour: time(hour + 3600),
                    });
                }
                let second_used: i32 = tx.query_one(&used, &[&"s", &second]).await?.get(0);
                let second_left = i64::from(per_second) - i64::from(second_used);
                if second_left <= 0 {
                    return Ok(UpstreamSlot::SecondFull);
                }
                let granted = i64::from(want.max(1)).min(hour_left).min(second_left) as i32;
                let count = tx
                    .prepare_cached(
                        "INSERT INTO upstream_budget (kind, start, used) VALUES ($1, $2, $3) ON CONFLICT (kind, start) DO UPDATE SET used = upstream_budget.used + $3",
                    )
                    .await?;
                for (kind, start) in [("h", hour), ("s", second)] {
                    tx.execute(&count, &[&kind, &start, &granted]).await?;
                }
                Ok(UpstreamSlot::Granted(granted as u32))
            })
        })
        .await
    }

    async fn pause_upstream(&self, until: DateTime<Utc>) -> Result<(), StoreError> {
        self.locked_tx(LockKey::Fixed(BUDGET_LOCK), |tx| {
            Box::pin(async move {
                tx.execute(
                    "INSERT INTO upstream_pause (id, until) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET until = GREATEST(upstream_pause.until, $1)",
                    &[&secs(until)],
                )
                .await?;
                Ok(())
            })
        })
        .await
    }

    async fn families(&self, meter: Option<&str>) -> Result<Vec<FamilyRecord>, StoreError> {
        let meter = meter.map(str::to_owned);
        self.tx(|tx| {
            let meter = meter.clone();
            Box::pin(async move {
                let rows = match &meter {
                    Some(m) => {
                        tx.query("SELECT f.id, f.client_id, f.created_at, f.consent_expires_at, f.revoked_at, (SELECT MAX(t.expires_at) FROM tokens t WHERE t.family_id = f.id) FROM families f WHERE EXISTS (SELECT 1 FROM family_meters m WHERE m.family_id = f.id AND m.pdl = $1) ORDER BY f.id DESC", &[m])
                            .await?
                    }
                    None => tx.query("SELECT f.id, f.client_id, f.created_at, f.consent_expires_at, f.revoked_at, (SELECT MAX(t.expires_at) FROM tokens t WHERE t.family_id = f.id) FROM families f WHERE TRUE ORDER BY f.id DESC", &[]).await?,
                };
                let mut out = Vec::new();
                for r in rows {
                    let id: i64 = r.get(0);
                    out.push(FamilyRecord {
                        id,
                        client_id: r.get(1),
                        meters: meters(
                            tx,
                            "SELECT pdl FROM family_meters WHERE family_id = $1 ORDER BY seq",
                            id,
                        )
                        .await?,
                        created_at: time(r.get(2)),
                        consent_expires_at: r.get::<_, Option<i64>>(3).map(time),
                        revoked_at: r.get::<_, Option<i64>>(4).map(time),
                        tokens_until: r.get::<_, Option<i64>>(5).map(time),
                    });
                }
                Ok(out)
            })
        })
        .await
    }

    async fn revoke_family_id(&self, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
        self.tx(|tx| {
            Box::pin(async move {
                let n = tx
                    .execute(
                        "UPDATE families SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
                        &[&secs(now), &id],
                    )
                    .await?;
                Ok(n == 1)
            })
        })
        .await
    }

    async fn revoke_meter(&self, meter: &str, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let meter = meter.to_owned();
        self.tx(|tx| {
            let meter = meter.clone();
            Box::pin(async move {
                Ok(tx
                    .execute(
                        "UPDATE families SET revoked_at = $1 WHERE revoked_at IS NULL AND id IN (SELECT family_id FROM family_meters WHERE pdl = $2)",
                        &[&secs(now), &meter],
                    )
                    .await?)
            })
        })
        .await
    }

    async fn quota_state(&self, now: DateTime<Utc>) -> Result<QuotaState, StoreError> {
        self.tx(|tx| {
            Box::pin(async move {
                let (second, hour) = (secs(now), secs(now) - secs(now).rem_euclid(3600));
                let used = "SELECT COALESCE((SELECT used FROM upstream_budget WHERE kind = $1 AND start = $2), 0)";
                let s: i32 = tx.query_one(used, &[&"s", &second]).await?.get(0);
                let h: i32 = tx.query_one(used, &[&"h", &hour]).await?.get(0);
                let paused = tx
                    .query_opt("SELECT until FROM upstream_pause WHERE id = 1", &[])
                    .await?
                    .map(|r| r.get::<_, i64>(0));
                Ok(QuotaState {
                    second: s.max(0) as u32,
                    hour: h.max(0) as u32,
                    paused_until: paused.filter(|u| *u > second).map(time),
                })
            })
        })
        .await
    }

    async fn live_counts(&self, now: DateTime<Utc>) -> Result<(u64, u64), StoreError> {
        self.tx(|tx| {
            Box::pin(async move {
                let at = secs(now);
                let waiting: i64 = tx
                    .query_one("SELECT COUNT(*) FROM grants WHERE status = 'pending' AND expires_at > $1", &[&at])
                    .await?
                    .get(0);
                let live: i64 = tx
                    .query_one("SELECT COUNT(*) FROM families f WHERE f.revoked_at IS NULL AND EXISTS (SELECT 1 FROM tokens t WHERE t.family_id = f.id AND t.expires_at > $1)", &[&at])
                    .await?
                    .get(0);
                Ok((waiting as u64, live as u64))
            })
        })
        .await
    }

    async fn purge_expired(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        self.tx(|tx| {
            Box::pin(async move {
                let mut n = 0;
                // Counts of past seconds and hours are of no use.
                n += tx
                    .execute(
                        "DELETE FROM upstream_budget WHERE start < $1",
                        &[&secs(now - Duration::hours(2))],
                    )
                    .await?;
                n += tx
                    .execute("DELETE FROM states WHERE expires_at < $1", &[&secs(now)])
                    .await?;
                // An unused code is of no use once expired; a consumed grant's row is kept
                // with its tokens.
                n += tx
                    .execute(
                        "DELETE FROM grants WHERE expires_at < $1 AND status != 'consumed'",
                        &[&secs(now)],
                    )
                    .await?;
                n += tx
                    .execute("DELETE FROM tokens WHERE expires_at < $1", &[&secs(now)])
                    .await?;
                n += tx
                    .execute(
                        "DELETE FROM guesses WHERE at < $1",
                        &[&secs(now - Duration::hours(1))],
                    )
                    .await?;
                Ok(n)
            })
        })
        .await
    }
}
