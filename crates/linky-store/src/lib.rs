//! linky's embedded store (SQLite): load-curve points at their native step, daily energy, daily
//! peaks, contract facts, the completeness ledger and the history of sync runs.
//!
//! Instants are stored as UTC Unix seconds, days as Paris calendar dates (`YYYY-MM-DD`). A
//! fetched window is written in one transaction ([`Store::record_window`]): its data and the
//! ledger rows of its days together, so a kill at any moment leaves the store as before or as
//! after that window, never in between, and running again completes it.
//!
//! One module per family of tables: [`meters`](MeterRecord), the ledger and absences (`ledger`),
//! the series' data (`readings`), sync runs (`runs`), Domoticz (`domoticz`), the small facts
//! kept between runs (`state`), Tempo and EJP day colours (`colours`), and a meter's energy history read for the core (`history`).

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use linky_core::{paris, Direction};
use rusqlite::Connection;

mod colours;
mod domoticz;
mod history;
mod ledger;
mod meters;
mod points;
mod readings;
mod runs;
#[cfg(feature = "sample")]
pub mod sample;
mod state;

pub use colours::ColourCalendar;
pub use ledger::{Absence, DayOutcome, DayState, LedgerEntry, StateCounts};
pub use linky_core::series::{ContractFacts, ContractPart, ContractRead, Kind, WindowData};
pub use meters::{MeterRecord, PartsReadAt};
pub use runs::{RunOutcome, RunTotals};
pub use state::{BothLanguages, PushRecord, PushedDevice, SyncDepth};

/// The schema's migrations, in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_initial.sql"),
    include_str!("../migrations/0002_state.sql"),
    include_str!("../migrations/0003_domoticz.sql"),
    include_str!("../migrations/0004_run_errors.sql"),
    include_str!("../migrations/0005_run_error_rows.sql"),
    include_str!("../migrations/0006_contract_parts.sql"),
    include_str!("../migrations/0007_day_colours.sql"),
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

/// Sets the connection's wait for a busy file, and gives the file's schema version: one this
/// linky knows (a newer file is refused rather than damaged).
fn schema_version(conn: &Connection) -> Result<i64, StoreError> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version as usize > MIGRATIONS.len() {
        return Err(StoreError::TooNew {
            found: version,
            known: MIGRATIONS.len(),
        });
    }
    Ok(version)
}

/// Runs the migrations up to `version`, all in one transaction (rusqlite_migration, as the
/// proxy's SQLite backend does).
fn migrate(conn: &mut Connection, version: usize) -> Result<(), StoreError> {
    let migrations = rusqlite_migration::Migrations::new(
        MIGRATIONS
            .iter()
            .copied()
            .map(rusqlite_migration::M::up)
            .collect(),
    );
    migrations.to_version(conn, version).map_err(|e| match e {
        rusqlite_migration::Error::RusqliteError { err, .. } => StoreError::from(err),
        other => StoreError::Corrupt(format!("schema migration: {other}")),
    })
}

fn ts(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

fn from_ts(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(s, 0).unwrap_or_default()
}

/// `YYYY-MM-DD`, written by hand: the store writes one per stored day and ledger row, and
/// chrono's general formatter costs several times more.
fn day_text(d: NaiveDate) -> String {
    use chrono::Datelike;
    let (year, month, day) = (d.year(), d.month(), d.day());
    if !(0..=9999).contains(&year) {
        return d.format("%Y-%m-%d").to_string();
    }
    let digits = [
        year / 1000,
        year / 100 % 10,
        year / 10 % 10,
        year % 10,
        -1,
        (month / 10) as i32,
        (month % 10) as i32,
        -1,
        (day / 10) as i32,
        (day % 10) as i32,
    ];
    digits
        .iter()
        .map(|&n| {
            if n < 0 {
                '-'
            } else {
                char::from(b'0' + n as u8)
            }
        })
        .collect()
}

/// Reads a stored `YYYY-MM-DD` by hand, the reverse of [`day_text`] (one per row read).
fn parse_day(s: &str) -> Result<NaiveDate, StoreError> {
    let corrupt = || StoreError::Corrupt(format!("day {s:?}"));
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| corrupt());
    }
    let num = |range: std::ops::Range<usize>| {
        b[range].iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let (Some(year), Some(month), Some(day)) = (num(0..4), num(5..7), num(8..10)) else {
        return Err(corrupt());
    };
    NaiveDate::from_ymd_opt(year as i32, month, day).ok_or_else(corrupt)
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
        // NORMAL in WAL mode: a commit is atomic and survives a crash of the process (`kill -9`);
        // a power cut may take back the last commits, never half of one, and the ledger goes
        // with its data, so whatever is taken back is fetched again by the next sync. FULL
        // would add an fsync per commit for nothing the ledger does not already recover.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // Each window is a savepoint inside the run's batch: its undo pages stay in memory
        // (a few hundred kB at most) instead of a temporary file written page by page.
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        Store::prepare(conn)
    }

    /// Opens the store for reading only, as the dashboard does on every request: no migration,
    /// no change of mode, no write. A file that does not exist yet or has an older schema is
    /// opened once with [`Store::open`] (which creates or upgrades it), then read.
    pub fn open_for_reading(path: &Path) -> Result<Store, StoreError> {
        if !path.exists() {
            return Store::open(path);
        }
        let read_only =
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, read_only)
            .map_err(|e| StoreError::from(e).at(path))?;
        if (schema_version(&conn)? as usize) < MIGRATIONS.len() {
            drop(conn);
            return Store::open(path);
        }
        // A request reads a few hundred kB once: a small page cache keeps the dashboard's
        // memory flat (SQLite's default is 2 MB per connection).
        conn.pragma_update(None, "cache_size", -256)?;
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
        schema_version(&conn)?;
        migrate(&mut conn, MIGRATIONS.len())?;
        Ok(Store { conn })
    }

    /// Starts a batch: the writes that follow are committed together by [`Store::commit_batch`],
    /// with one disk sync instead of one per window. Each write is still whole (a savepoint):
    /// a crash or power cut before the commit loses the batch's windows and their ledger rows
    /// together, so the ledger never claims a day the data lacks and the next run fetches them
    /// again. Does nothing inside a batch already open.
    pub fn begin_batch(&mut self) -> Result<(), StoreError> {
        if self.conn.is_autocommit() {
            self.conn.execute_batch("BEGIN")?;
        }
        Ok(())
    }

    /// Commits the open batch, if any.
    pub fn commit_batch(&mut self) -> Result<(), StoreError> {
        if !self.conn.is_autocommit() {
            self.conn.execute_batch("COMMIT")?;
        }
        Ok(())
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
