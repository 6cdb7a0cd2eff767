//! linky's embedded store (SQLite): load-curve points at their native step, daily energy, daily
//! peaks, contract facts, the completeness ledger and the history of sync runs.
//!
//! Instants are stored as UTC Unix seconds, days as Paris calendar dates (`YYYY-MM-DD`). A
//! fetched window is written in one transaction ([`Store::record_window`]): its data and the
//! ledger rows of its days together, so a kill at any moment leaves the store as before or as
//! after that window, never in between, and running again completes it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use linky_core::{
    paris, DailyEnergy, Direction, Energy, LoadCurve, LoadCurvePoint, MaxPower, UsagePoint,
};
use rusqlite::{params, Connection, OptionalExtension};

mod history;
mod points;
mod runs;
mod state;

pub use linky_core::series::{ContractFacts, Kind, WindowData};
pub use runs::RunOutcome;

pub use state::{BothLanguages, PushRecord, PushedDevice, SyncDepth};

const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_initial.sql"),
    include_str!("../migrations/0002_state.sql"),
    include_str!("../migrations/0003_domoticz.sql"),
    include_str!("../migrations/0004_run_errors.sql"),
    include_str!("../migrations/0005_run_error_rows.sql"),
];

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite said no.
    #[error("the data file cannot be used: {0}")]
    Database(rusqlite::Error),
    /// The file is not a sound SQLite database (truncated, overwritten, damaged by a crash of
    /// the disk): nothing is written into it.
    #[error("the data file {} is damaged; nothing was written into it. Run `linky doctor --repair`: it keeps what is sound and fetches the rest again from Enedis (within the history Enedis keeps)", shown(.0))]
    Damaged(Option<PathBuf>),
    /// The disk is full.
    #[error("the disk holding the data file {} is full; nothing stored was lost: free some space, then run again", shown(.0))]
    DiskFull(Option<PathBuf>),
    /// The file or its folder cannot be written by this user.
    #[error("the data file {} cannot be written (read-only folder or file, or another owner); nothing stored was lost: give this user write access to its folder, or choose another with --data-dir", shown(.0))]
    NotWritable(Option<PathBuf>),
    /// The file is newer than this linky.
    #[error("the data file was written by a newer linky (schema {found}, this one knows {known}); upgrade linky")]
    TooNew {
        /// Schema version in the file.
        found: i64,
        /// Newest version this build knows.
        known: usize,
    },
    /// A stored value that makes no sense.
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
}

impl linky_core::Localized for StoreError {
    fn localized(&self, lang: linky_core::Lang) -> String {
        match (lang, self) {
            (linky_core::Lang::En, _) => self.to_string(),
            (linky_core::Lang::Fr, StoreError::Database(e)) => {
                format!("le fichier de données est inutilisable : {e}")
            }
            (linky_core::Lang::Fr, StoreError::Damaged(p)) => format!("le fichier de données {} est endommagé ; rien n'y a été écrit. Lancez `linky doctor --repair` : il garde ce qui est sain et redemande le reste à Enedis (dans la limite de l'historique qu'Enedis garde)", shown(p)),
            (linky_core::Lang::Fr, StoreError::DiskFull(p)) => format!("le disque qui porte le fichier de données {} est plein ; rien de ce qui était enregistré n'est perdu : libérez de la place, puis relancez", shown(p)),
            (linky_core::Lang::Fr, StoreError::NotWritable(p)) => format!("le fichier de données {} ne peut pas être écrit (dossier ou fichier en lecture seule, ou autre propriétaire) ; rien de ce qui était enregistré n'est perdu : donnez à cet utilisateur le droit d'écrire dans son dossier, ou choisissez-en un autre avec --data-dir", shown(p)),
            (linky_core::Lang::Fr, StoreError::TooNew { found, known }) => {
                format!("le fichier de données a été écrit par un linky plus récent (schéma {found}, celui-ci connaît {known}) ; mettez linky à jour")
            }
            (linky_core::Lang::Fr, StoreError::Corrupt(e)) => {
                format!("valeur enregistrée corrompue : {e}")
            }
        }
    }
}

fn shown(path: &Option<PathBuf>) -> String {
    path.as_ref()
        .map_or_else(|| "(linky.db)".to_owned(), |p| p.display().to_string())
}

impl From<rusqlite::Error> for StoreError {
    /// Tells apart what the user can act on: a damaged file, a full disk, no write access.
    fn from(e: rusqlite::Error) -> StoreError {
        use rusqlite::ErrorCode;
        match e.sqlite_error_code() {
            Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => StoreError::Damaged(None),
            Some(ErrorCode::DiskFull) => StoreError::DiskFull(None),
            Some(ErrorCode::ReadOnly | ErrorCode::CannotOpen | ErrorCode::PermissionDenied) => {
                StoreError::NotWritable(None)
            }
            _ => StoreError::Database(e),
        }
    }
}

impl StoreError {
    /// The same error, naming the file it is about.
    pub fn at(self, path: &Path) -> StoreError {
        let file = Some(path.to_path_buf());
        match self {
            StoreError::Damaged(_) => StoreError::Damaged(file),
            StoreError::DiskFull(_) => StoreError::DiskFull(file),
            StoreError::NotWritable(_) => StoreError::NotWritable(file),
            other => other,
        }
    }
}

/// What `linky doctor --repair` kept and lost.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepairReport {
    /// Where the damaged file was moved, if it was.
    pub set_aside: Option<PathBuf>,
    /// Tables copied whole, with their rows.
    pub kept: Vec<(&'static str, u64)>,
    /// Tables that could not be read: their data is fetched again.
    pub lost: Vec<&'static str>,
}

/// Every table, in an order that copies what others refer to first.
const TABLES: [&str; 12] = [
    "meters",
    "series",
    "curve_days",
    "daily_energy",
    "max_power",
    "ledger",
    "absences",
    "sync_runs",
    "sync_run_errors",
    "state",
    "domoticz_devices",
    "domoticz_rows",
];

fn direction_str(d: Direction) -> &'static str {
    match d {
        Direction::Consumption => "consumption",
        Direction::Production => "production",
    }
}

fn parse_direction(s: &str) -> Result<Direction, StoreError> {
    match s {
        "consumption" => Ok(Direction::Consumption),
        "production" => Ok(Direction::Production),
        other => Err(StoreError::Corrupt(format!("direction {other:?}"))),
    }
}

/// What is known of one day of one series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DayState {
    /// Stored.
    Fetched,
    /// Asked before Enedis published it (D-1 before 08:00, or a late meter): ask again later.
    NotPublished,
    /// Enedis has nothing for it, for a reason: not asked again.
    Absent,
    /// Asking failed (Enedis error, network): ask again after `next_try_at`.
    Failed,
    /// Its daily total disagreed with its load curve by more than 1 %: fetched again once.
    Refetch,
    /// Still disagreeing after the second fetch: kept, flagged.
    Mismatch,
}

impl DayState {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            DayState::Fetched => "fetched",
            DayState::NotPublished => "not_published",
            DayState::Absent => "absent",
            DayState::Failed => "failed",
            DayState::Refetch => "refetch",
            DayState::Mismatch => "mismatch",
        }
    }

    fn parse(s: &str) -> Result<DayState, StoreError> {
        [
            DayState::Fetched,
            DayState::NotPublished,
            DayState::Absent,
            DayState::Failed,
            DayState::Refetch,
            DayState::Mismatch,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
        .ok_or_else(|| StoreError::Corrupt(format!("day state {s:?}")))
    }
}

/// A ledger row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    /// Where the day stands.
    pub state: DayState,
    /// Why, for absences and failures (e.g. `no_data_found`, `before_activation`).
    pub reason: Option<String>,
    /// How many times asking failed (or was repeated for a mismatch).
    pub attempts: u32,
    /// When to ask again, for retryable states.
    pub next_try_at: Option<DateTime<Utc>>,
}

/// The outcome of one day of a window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayOutcome {
    /// The day.
    pub day: NaiveDate,
    /// Its new state.
    pub state: DayState,
    /// Why (absences, failures).
    pub reason: Option<String>,
    /// When to ask again (failures, not yet published).
    pub next_try_at: Option<DateTime<Utc>>,
}

impl DayOutcome {
    /// A day fetched with its data.
    pub fn fetched(day: NaiveDate) -> DayOutcome {
        DayOutcome {
            day,
            state: DayState::Fetched,
            reason: None,
            next_try_at: None,
        }
    }
}

/// A whole-series absence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Absence {
    /// Direction.
    pub direction: Direction,
    /// Kind.
    pub kind: Kind,
    /// Why (`wrong_direction`, `curve_not_enabled`).
    pub reason: String,
    /// When to check again.
    pub recheck_at: DateTime<Utc>,
}

/// A meter and what is known of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterRecord {
    /// The PDL.
    pub pdl: UsagePoint,
    /// Last activation (nothing exists before it).
    pub activation_date: Option<NaiveDate>,
    /// Subscribed power, kVA.
    pub subscribed_kva: Option<u32>,
    /// The contract's off-peak hours, Enedis form (`HC (22H00-6H00)`).
    pub contract_offpeak: Option<String>,
    /// When the contract was last read.
    pub contract_read_at: Option<DateTime<Utc>>,
    /// When the consent ends.
    pub consent_ends_at: Option<DateTime<Utc>>,
    /// When Enedis said the consent was gone, and its words.
    pub consent_lost: Option<(DateTime<Utc>, String)>,
}

/// What a set of sync runs adds up to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunTotals {
    /// Runs by outcome.
    pub outcomes: BTreeMap<RunOutcome, u64>,
    /// Enedis calls.
    pub calls: u64,
    /// Enedis errors by kind (`quota`, `unavailable`, `no_data`...).
    pub errors: BTreeMap<String, u64>,
}

/// Counts of a series' days by state, for summaries.
pub type StateCounts = BTreeMap<(DayState, Option<String>), u32>;

fn ts(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

fn from_ts(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(s, 0).unwrap_or_default()
}

fn day_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn parse_day(s: &str) -> Result<NaiveDate, StoreError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| StoreError::Corrupt(format!("day {s:?}")))
}

/// The store.
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (creating if missing) the store at `path`, readable by its owner only, and brings
    /// its schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_unchecked(path).map_err(|e| e.at(path))
    }

    fn open_unchecked(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| match e.kind() {
                std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem => {
                    StoreError::NotWritable(None)
                }
                _ => StoreError::Corrupt(format!("cannot create {}: {e}", dir.display())),
            })?;
        }
        let conn = Connection::open(path)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // FULL: a committed window survives a power cut, which matters more than speed here.
        conn.pragma_update(None, "synchronous", "FULL")?;
        Store::prepare(conn)
    }

    /// Opens the store for reading only, as the dashboard does on every request: no migration,
    /// no change of mode, no write. A file that does not exist yet or has an older schema is
    /// opened once with [`Store::open`] (which creates or upgrades it), then read.
    pub fn open_for_reading(path: &Path) -> Result<Store, StoreError> {
        let read_only =
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let current = path.exists()
            && Connection::open_with_flags(path, read_only)
                .and_then(|c| c.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0)))
                .is_ok_and(|v| v as usize >= MIGRATIONS.len());
        if !current {
            return Store::open(path);
        }
        let conn = Connection::open_with_flags(path, read_only)
            .map_err(|e| StoreError::from(e).at(path))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version as usize > MIGRATIONS.len() {
            return Err(StoreError::TooNew {
                found: version,
                known: MIGRATIONS.len(),
            });
        }
        Ok(Store { conn })
    }

    /// Opens the store after checking that the whole file is sound (`PRAGMA quick_check`): the
    /// commands that write runs and data, or export it, use this, so that a damaged file is
    /// neither written into nor exported from.
    pub fn open_checked(path: &Path) -> Result<Store, StoreError> {
        let store = Store::open(path)?;
        let verdict: String = store
            .conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(|e| StoreError::from(e).at(path))?;
        if verdict != "ok" {
            return Err(StoreError::Damaged(Some(path.to_path_buf())));
        }
        Ok(store)
    }

    /// Rebuilds a damaged store: moves the file aside (`<name>.damaged-<time>`), creates a new
    /// one, and copies every table that can still be read whole; the ledger keeps only the days
    /// whose data was copied, so everything lost is fetched again by the next sync.
    pub fn repair(path: &Path, now: DateTime<Utc>) -> Result<RepairReport, StoreError> {
        let mut report = RepairReport::default();
        if !path.exists() {
            return Ok(report);
        }
        let aside = path.with_extension(format!("db.damaged-{}", now.format("%Y%m%dT%H%M%S")));
        std::fs::rename(path, &aside)
            .map_err(|e| StoreError::Corrupt(format!("cannot move {}: {e}", path.display())))?;
        for suffix in ["-wal", "-shm"] {
            let side = PathBuf::from(format!("{}{suffix}", path.display()));
            if side.exists() {
                let _ = std::fs::rename(&side, format!("{}{suffix}", aside.display()));
            }
        }
        report.set_aside = Some(aside.clone());
        let store = Store::open(path)?;
        let attached = store
            .conn
            .execute(
                "ATTACH DATABASE ?1 AS damaged",
                [aside.display().to_string()],
            )
            .is_ok();
        for table in TABLES {
            let copied = attached
                .then(|| {
                    store.conn.execute(
                        &format!(
                            "INSERT OR IGNORE INTO main.{table} SELECT * FROM damaged.{table}"
                        ),
                        [],
                    )
                })
                .and_then(Result::ok);
            match copied {
                Some(rows) => report.kept.push((table, rows as u64)),
                None => report.lost.push(table),
            }
        }
        // Days whose data is gone must be asked again: the ledger forgets them.
        for (table, kind) in [
            ("curve_days", Kind::Curve),
            ("daily_energy", Kind::Daily),
            ("max_power", Kind::MaxPower),
        ] {
            if report.lost.contains(&table) || report.lost.contains(&"series") {
                store
                    .conn
                    .execute("DELETE FROM ledger WHERE kind = ?1", [kind.as_str()])
                    .map_err(|e| StoreError::from(e).at(path))?;
            }
        }
        if attached {
            let _ = store.conn.execute("DETACH DATABASE damaged", []);
        }
        Ok(report)
    }

    /// A store in memory (tests, benchmarks).
    pub fn in_memory() -> Result<Store, StoreError> {
        Store::prepare(Connection::open_in_memory()?)
    }

    fn prepare(mut conn: Connection) -> Result<Store, StoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version as usize > MIGRATIONS.len() {
            return Err(StoreError::TooNew {
                found: version,
                known: MIGRATIONS.len(),
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()?;
        }
        Ok(Store { conn })
    }

    /// Adds a meter (no effect if known).
    pub fn add_meter(&self, pdl: &UsagePoint, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT OR IGNORE INTO meters (pdl, added_at) VALUES (?, ?)",
            params![pdl.as_str(), ts(now)],
        )?;
        Ok(())
    }

    /// Every meter, in the order they were added.
    pub fn meters(&self) -> Result<Vec<MeterRecord>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT pdl, activation_date, subscribed_kva, contract_offpeak, contract_read_at, consent_ends_at, consent_lost_at, consent_lost_reason FROM meters ORDER BY added_at, pdl",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<u32>>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<i64>>(4)?,
                r.get::<_, Option<i64>>(5)?,
                r.get::<_, Option<i64>>(6)?,
                r.get::<_, Option<String>>(7)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (pdl, activation, kva, offpeak, read, consent, lost_at, lost_reason) = row?;
            out.push(MeterRecord {
                pdl: pdl
                    .parse()
                    .map_err(|_| StoreError::Corrupt(format!("meter {pdl:?}")))?,
                activation_date: activation.as_deref().map(parse_day).transpose()?,
                subscribed_kva: kva,
                contract_offpeak: offpeak,
                contract_read_at: read.map(from_ts),
                consent_ends_at: consent.map(from_ts),
                consent_lost: lost_at.map(|t| (from_ts(t), lost_reason.unwrap_or_default())),
            });
        }
        Ok(out)
    }

    /// Records contract facts.
    pub fn set_contract(
        &self,
        pdl: &UsagePoint,
        facts: &ContractFacts,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE meters SET activation_date = COALESCE(?, activation_date), subscribed_kva = COALESCE(?, subscribed_kva), contract_offpeak = COALESCE(?, contract_offpeak), contract_read_at = ? WHERE pdl = ?",
            params![facts.activation_date.map(day_text), facts.subscribed_kva, facts.offpeak, ts(now), pdl.as_str()],
        )?;
        Ok(())
    }

    /// Records when the consent ends (and that it is in force again).
    pub fn set_consent(
        &self,
        pdl: &UsagePoint,
        ends_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE meters SET consent_ends_at = COALESCE(?, consent_ends_at), consent_lost_at = NULL, consent_lost_reason = NULL WHERE pdl = ?",
            params![ends_at.map(ts), pdl.as_str()],
        )?;
        Ok(())
    }

    /// Records that Enedis says the consent is gone.
    pub fn mark_consent_lost(
        &self,
        pdl: &UsagePoint,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE meters SET consent_lost_at = ?, consent_lost_reason = ? WHERE pdl = ?",
            params![ts(now), reason, pdl.as_str()],
        )?;
        Ok(())
    }

    /// The ledger of a series between two days (inclusive).
    pub fn ledger(
        &self,
        pdl: &UsagePoint,
        direction: Direction,
        kind: Kind,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<BTreeMap<NaiveDate, LedgerEntry>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT day, state, reason, attempts, next_try_at FROM ledger WHERE pdl = ? AND direction = ? AND kind = ? AND day >= ? AND day <= ?",
        )?;
        let rows = stmt.query_map(
            params![
                pdl.as_str(),
                direction_str(direction),
                kind.as_str(),
                day_text(from),
                day_text(to)
            ],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, u32>(3)?,
                    r.get::<_, Option<i64>>(4)?,
                ))
            },
        )?;
        let mut out = BTreeMap::new();
        for row in rows {
            let (day, state, reason, attempts, next) = row?;
            out.insert(
                parse_day(&day)?,
                LedgerEntry {
                    state: DayState::parse(&state)?,
                    reason,
                    attempts,
                    next_try_at: next.map(from_ts),
                },
            );
        }
        Ok(out)
    }

    /// Whole-series absences of a meter.
    pub fn absences(&self, pdl: &UsagePoint) -> Result<Vec<Absence>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT direction, kind, reason, recheck_at FROM absences WHERE pdl = ?",
        )?;
        let rows = stmt.query_map([pdl.as_str()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (d, k, reason, at) = row?;
            out.push(Absence {
                direction: parse_direction(&d)?,
                kind: Kind::named(&k).ok_or_else(|| StoreError::Corrupt(format!("kind {k:?}")))?,
                reason,
                recheck_at: from_ts(at),
            });
        }
        Ok(out)
    }

    /// Records (or clears, with `None`) a whole-series absence.
    pub fn set_absence(
        &self,
        pdl: &UsagePoint,
        direction: Direction,
        kind: Kind,
        absence: Option<(&str, DateTime<Utc>)>,
    ) -> Result<(), StoreError> {
        match absence {
            Some((reason, recheck_at)) => self.conn.execute(
                "INSERT OR REPLACE INTO absences (pdl, direction, kind, reason, recheck_at) VALUES (?, ?, ?, ?, ?)",
                params![pdl.as_str(), direction_str(direction), kind.as_str(), reason, ts(recheck_at)],
            )?,
            None => self.conn.execute("DELETE FROM absences WHERE pdl = ? AND direction = ? AND kind = ?", params![pdl.as_str(), direction_str(direction), kind.as_str()])?,
        };
        Ok(())
    }

    /// Writes a window in one transaction: its data (replacing what fetched days held) and the
    /// ledger rows of its days. Failed and refetched days count an attempt.
    pub fn record_window(
        &mut self,
        pdl: &UsagePoint,
        direction: Direction,
        kind: Kind,
        data: &WindowData,
        days: &[DayOutcome],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        let (p, d) = (pdl.as_str(), direction_str(direction));
        {
            let series = if kind == Kind::Curve {
                tx.execute(
                    "INSERT OR IGNORE INTO series (pdl, direction) VALUES (?, ?)",
                    params![p, d],
                )?;
                tx.query_row(
                    "SELECT id FROM series WHERE pdl = ? AND direction = ?",
                    params![p, d],
                    |r| r.get::<_, i64>(0),
                )?
            } else {
                0
            };
            match data {
                WindowData::Curve(points) => {
                    // Each fetched day's row is replaced whole: a refetch at another step leaves
                    // nothing of the old points.
                    let mut upsert = tx.prepare_cached(
                        "INSERT OR REPLACE INTO curve_days (series, day, points) VALUES (?, ?, ?)",
                    )?;
                    let mut by_day: BTreeMap<NaiveDate, Vec<LoadCurvePoint>> = BTreeMap::new();
                    for pt in points {
                        by_day
                            .entry(paris::local_date(pt.start()))
                            .or_default()
                            .push(*pt);
                    }
                    for o in days
                        .iter()
                        .filter(|o| matches!(o.state, DayState::Fetched | DayState::Mismatch))
                    {
                        let day_points = by_day.remove(&o.day).unwrap_or_default();
                        upsert.execute(params![
                            series,
                            day_text(o.day),
                            points::encode(paris::day_start(o.day), &day_points)
                        ])?;
                    }
                }
                WindowData::Daily(values) => {
                    let mut insert = tx.prepare_cached("INSERT OR REPLACE INTO daily_energy (pdl, direction, day, wh) VALUES (?, ?, ?, ?)")?;
                    for v in values {
                        insert.execute(params![p, d, day_text(v.date), v.energy.wh_rounded()])?;
                    }
                }
                WindowData::Peaks(values) => {
                    let mut insert = tx.prepare_cached(
                        "INSERT OR REPLACE INTO max_power (pdl, day, at, va) VALUES (?, ?, ?, ?)",
                    )?;
                    for v in values {
                        insert.execute(params![
                            p,
                            day_text(v.date),
                            v.at.format("%Y-%m-%d %H:%M:%S").to_string(),
                            v.volt_amperes
                        ])?;
                    }
                }
                WindowData::Nothing => {}
            }
            // A day already stored keeps its state whatever a later window says about it: a
            // failure or an odd answer never downgrades fetched data.
            let mut ledger = tx.prepare_cached(
                "INSERT INTO ledger (pdl, direction, kind, day, state, reason, attempts, next_try_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (pdl, direction, kind, day) DO UPDATE SET state = ?5, reason = ?6,
                   attempts = CASE WHEN ?5 IN ('failed', 'refetch', 'mismatch') THEN ledger.attempts + 1 WHEN ?5 = 'fetched' THEN 0 ELSE ledger.attempts END,
                   next_try_at = ?8, updated_at = ?9
                 WHERE NOT (ledger.state IN ('fetched', 'mismatch', 'refetch') AND ?5 IN ('failed', 'absent', 'not_published'))",
            )?;
            for o in days {
                let first_attempts = u32::from(matches!(
                    o.state,
                    DayState::Failed | DayState::Refetch | DayState::Mismatch
                ));
                ledger.execute(params![
                    p,
                    d,
                    kind.as_str(),
                    day_text(o.day),
                    o.state.as_str(),
                    o.reason,
                    first_attempts,
                    o.next_try_at.map(ts),
                    ts(now)
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The stored load curve of a series: the points ending in `(from, to]`.
    pub fn curve(
        &self,
        pdl: &UsagePoint,
        direction: Direction,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<LoadCurve, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.day, c.points FROM curve_days c JOIN series s ON s.id = c.series WHERE s.pdl = ? AND s.direction = ? AND c.day >= ? AND c.day <= ? ORDER BY c.day",
        )?;
        let first = day_text(paris::local_date(from - chrono::Duration::days(1)));
        let last = day_text(paris::local_date(to));
        let mut rows = stmt.query(params![pdl.as_str(), direction_str(direction), first, last])?;
        let mut points = Vec::new();
        while let Some(row) = rows.next()? {
            let day = parse_day(
                row.get_ref(0)?
                    .as_str()
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            )?;
            let blob = row
                .get_ref(1)?
                .as_blob()
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            points::decode(paris::day_start(day), blob, &mut points)?;
        }
        points.retain(|p| p.end > from && p.end <= to);
        LoadCurve::new(points).map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    /// Stored daily energies over `[from, to]`.
    pub fn daily(
        &self,
        pdl: &UsagePoint,
        direction: Direction,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DailyEnergy>, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT day, wh FROM daily_energy WHERE pdl = ? AND direction = ? AND day >= ? AND day <= ? ORDER BY day")?;
        let rows = stmt.query_map(
            params![
                pdl.as_str(),
                direction_str(direction),
                day_text(from),
                day_text(to)
            ],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
        )?;
        rows.map(|row| {
            let (day, wh) = row?;
            Ok(DailyEnergy {
                date: parse_day(&day)?,
                energy: Energy::from_wh(wh),
            })
        })
        .collect()
    }

    /// Stored daily peaks over `[from, to]`.
    pub fn max_power(
        &self,
        pdl: &UsagePoint,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<MaxPower>, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT day, at, va FROM max_power WHERE pdl = ? AND day >= ? AND day <= ? ORDER BY day")?;
        let rows = stmt.query_map(params![pdl.as_str(), day_text(from), day_text(to)], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, u32>(2)?,
            ))
        })?;
        rows.map(|row| {
            let (day, at, va) = row?;
            let at = NaiveDateTime::parse_from_str(&at, "%Y-%m-%d %H:%M:%S")
                .map_err(|_| StoreError::Corrupt(format!("time {at:?}")))?;
            Ok(MaxPower {
                date: parse_day(&day)?,
                at,
                volt_amperes: va,
            })
        })
        .collect()
    }

    /// Counts of a series' ledger rows by state and reason.
    pub fn state_counts(
        &self,
        pdl: &UsagePoint,
        direction: Direction,
        kind: Kind,
    ) -> Result<StateCounts, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT state, reason, COUNT(*) FROM ledger WHERE pdl = ? AND direction = ? AND kind = ? GROUP BY state, reason")?;
        let rows = stmt.query_map(
            params![pdl.as_str(), direction_str(direction), kind.as_str()],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, u32>(2)?,
                ))
            },
        )?;
        let mut out = StateCounts::new();
        for row in rows {
            let (state, reason, n) = row?;
            out.insert((DayState::parse(&state)?, reason), n);
        }
        Ok(out)
    }

    /// Starts a sync run; returns its id.
    pub fn begin_run(&self, now: DateTime<Utc>) -> Result<i64, StoreError> {
        self.conn
            .execute("INSERT INTO sync_runs (started_at) VALUES (?)", [ts(now)])?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Ends a sync run, with its Enedis errors counted by kind.
    pub fn finish_run(
        &self,
        id: i64,
        now: DateTime<Utc>,
        outcome: RunOutcome,
        calls: u32,
        errors: &BTreeMap<String, u32>,
        details: &str,
    ) -> Result<(), StoreError> {
        let tx = self.conn.unchecked_transaction()?;
        tx.execute(
            "UPDATE sync_runs SET finished_at = ?, outcome = ?, calls = ?, details = ? WHERE id = ?",
            params![ts(now), outcome, calls, details, id],
        )?;
        for (kind, n) in errors {
            tx.execute(
                "INSERT OR REPLACE INTO sync_run_errors (run, kind, count) VALUES (?, ?, ?)",
                params![id, kind, n],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The last finished run: when, outcome, calls.
    pub fn last_run(&self) -> Result<Option<(DateTime<Utc>, RunOutcome, u32)>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT finished_at, outcome, calls FROM sync_runs WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1", [], |r| {
                Ok((from_ts(r.get(0)?), r.get::<_, RunOutcome>(1)?, r.get::<_, u32>(2)?))
            })
            .optional()?)
    }

    /// Totals of the runs finished at or after `since` (every run with `None`): monotonic
    /// counters as long as runs are never deleted, which they are not.
    pub fn run_totals(&self, since: Option<DateTime<Utc>>) -> Result<RunTotals, StoreError> {
        let since = since.map_or(i64::MIN, ts);
        let mut totals = RunTotals::default();
        let mut stmt = self.conn.prepare_cached(
            "SELECT outcome, COUNT(*), SUM(calls) FROM sync_runs WHERE finished_at IS NOT NULL AND finished_at >= ? GROUP BY outcome",
        )?;
        let rows = stmt.query_map([since], |r| {
            Ok((
                r.get::<_, Option<RunOutcome>>(0)?,
                r.get::<_, u64>(1)?,
                r.get::<_, Option<u64>>(2)?,
            ))
        })?;
        for row in rows {
            let (outcome, runs, calls) = row?;
            if let Some(outcome) = outcome {
                *totals.outcomes.entry(outcome).or_default() += runs;
            }
            totals.calls += calls.unwrap_or(0);
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT e.kind, SUM(e.count) FROM sync_run_errors e JOIN sync_runs r ON r.id = e.run WHERE r.finished_at IS NOT NULL AND r.finished_at >= ? GROUP BY e.kind",
        )?;
        let rows = stmt.query_map([since], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, u64>(1)?))
        })?;
        for row in rows {
            let (kind, n) = row?;
            totals.errors.insert(kind, n);
        }
        Ok(totals)
    }

    /// The Domoticz device idx that holds a meter, if known.
    pub fn domoticz_device(&self, pdl: &str) -> Result<Option<i64>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT idx FROM domoticz_devices WHERE pdl = ?",
                [pdl],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Every remembered Domoticz device: key (PDL or `C / P` pair) and idx, with the number of
    /// rows pushed to it.
    pub fn domoticz_devices(&self) -> Result<Vec<(String, i64, u64)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT d.pdl, d.idx, (SELECT COUNT(*) FROM domoticz_rows r WHERE r.device = d.idx) FROM domoticz_devices d ORDER BY d.pdl",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Remembers the Domoticz device of a meter (a new idx replaces the old one, whose pushed
    /// rows are forgotten: they belong to a device that is gone).
    pub fn set_domoticz_device(&mut self, pdl: &str, idx: i64) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        let old: Option<i64> = tx
            .query_row(
                "SELECT idx FROM domoticz_devices WHERE pdl = ?",
                [pdl],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(old) = old.filter(|o| *o != idx) {
            tx.execute("DELETE FROM domoticz_rows WHERE device = ?", [old])?;
        }
        tx.execute(
            "INSERT OR REPLACE INTO domoticz_devices (pdl, idx) VALUES (?, ?)",
            params![pdl, idx],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Ties the Domoticz records to one server: when `server` differs from the one they were
    /// made with, the device mapping and the pushed rows are forgotten (idx numbers of another
    /// server name other devices). Returns whether they were.
    pub fn bind_domoticz_server(&mut self, server: &str) -> Result<bool, StoreError> {
        let tx = self.conn.transaction()?;
        let known: Option<String> = tx
            .query_row(
                "SELECT value FROM state WHERE key = 'domoticz.server'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        let changed = known.as_deref() != Some(server);
        if changed {
            tx.execute("DELETE FROM domoticz_devices", [])?;
            tx.execute("DELETE FROM domoticz_rows", [])?;
            tx.execute(
                "INSERT OR REPLACE INTO state (key, value) VALUES ('domoticz.server', ?)",
                [server],
            )?;
        }
        tx.commit()?;
        Ok(changed && known.is_some())
    }

    /// The `svalue` last pushed for each stamp of a Domoticz device.
    pub fn domoticz_rows(
        &self,
        device: i64,
    ) -> Result<std::collections::HashMap<String, String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT stamp, svalue FROM domoticz_rows WHERE device = ?")?;
        let rows = stmt.query_map([device], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records rows Domoticz accepted, in one transaction.
    pub fn record_domoticz_rows(
        &mut self,
        device: i64,
        rows: &[(String, String)],
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT OR REPLACE INTO domoticz_rows (device, stamp, svalue) VALUES (?, ?, ?)",
            )?;
            for (stamp, svalue) in rows {
                stmt.execute(params![device, stamp, svalue])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Forgets what was pushed to a device (after a row did not land, or for `push --all`).
    pub fn forget_domoticz_rows(
        &self,
        device: i64,
        stamps: Option<&[String]>,
    ) -> Result<(), StoreError> {
        match stamps {
            None => {
                self.conn
                    .execute("DELETE FROM domoticz_rows WHERE device = ?", [device])?;
            }
            Some(stamps) => {
                for s in stamps {
                    self.conn.execute(
                        "DELETE FROM domoticz_rows WHERE device = ? AND stamp = ?",
                        params![device, s],
                    )?;
                }
            }
        }
        Ok(())
    }

    /// The first and last fetched day of a series, and how many days are fetched.
    pub fn fetched_range(
        &self,
        pdl: &UsagePoint,
        direction: Direction,
        kind: Kind,
    ) -> Result<Option<(NaiveDate, NaiveDate, u32)>, StoreError> {
        let row: (Option<String>, Option<String>, u32) = self.conn.query_row(
            "SELECT MIN(day), MAX(day), COUNT(*) FROM ledger WHERE pdl = ? AND direction = ? AND kind = ? AND state IN ('fetched', 'mismatch')",
            params![pdl.as_str(), direction_str(direction), kind.as_str()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        match row {
            (Some(a), Some(b), n) => Ok(Some((parse_day(&a)?, parse_day(&b)?, n))),
            _ => Ok(None),
        }
    }

    /// Counts rows of a table, for tests and diagnostics.
    pub fn count(&self, table: StoredTable) -> Result<u64, StoreError> {
        let sql = match table {
            StoredTable::CurvePoints => {
                "SELECT COALESCE(SUM((length(points) - 1) / 9), 0) FROM curve_days"
            }
            StoredTable::DailyEnergy => "SELECT COUNT(*) FROM daily_energy",
            StoredTable::MaxPower => "SELECT COUNT(*) FROM max_power",
            StoredTable::Ledger => "SELECT COUNT(*) FROM ledger",
        };
        Ok(self.conn.query_row(sql, [], |r| r.get(0))?)
    }

    /// Everything stored for the meters, as comparable text (tests compare two stores).
    pub fn fingerprint(&self) -> Result<String, StoreError> {
        let mut out = String::new();
        let mut stmt = self.conn.prepare("SELECT s.pdl, s.direction, c.day, c.points FROM curve_days c JOIN series s ON s.id = c.series ORDER BY s.pdl, s.direction, c.day")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let (pdl, direction, day): (String, String, String) =
                (row.get(0)?, row.get(1)?, row.get(2)?);
            let mut points = Vec::new();
            points::decode(
                paris::day_start(parse_day(&day)?),
                &row.get::<_, Vec<u8>>(3)?,
                &mut points,
            )?;
            for p in points {
                out.push_str(&format!(
                    "{pdl} {direction} {} {} {}\n",
                    ts(p.end),
                    p.step.minutes(),
                    p.watts
                ));
            }
        }
        for sql in [
            "SELECT pdl || ' ' || direction || ' ' || day || ' ' || wh FROM daily_energy ORDER BY 1",
            "SELECT pdl || ' ' || day || ' ' || at || ' ' || va FROM max_power ORDER BY 1",
            "SELECT pdl || ' ' || direction || ' ' || kind || ' ' || day || ' ' || state || ' ' || COALESCE(reason, '') FROM ledger ORDER BY 1",
        ] {
            let mut stmt = self.conn.prepare(sql)?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            for row in rows {
                out.push_str(&row?);
                out.push('\n');
            }
        }
        Ok(out)
    }
}

/// Tables that [`Store::count`] can count.
#[derive(Debug, Clone, Copy)]
pub enum StoredTable {
    /// Load-curve points.
    CurvePoints,
    /// Daily energies.
    DailyEnergy,
    /// Daily peaks.
    MaxPower,
    /// Ledger rows.
    Ledger,
}

#[cfg(test)]
mod tests;
