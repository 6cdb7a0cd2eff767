//! The runner: asks Enedis for the planned windows, maps every answer to an action (store,
//! wait, retry, split, mark absent, stop), and checks daily totals against load curves.

use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use enedis_protocol::error::ErrorKind;
use linky_core::{paris, Clock, Direction, Energy, LoadCurvePoint, UsagePoint};
use linky_store::{
    ContractPart, ContractRead, DayOutcome, DayState, Kind, MeterRecord, RunOutcome, Store,
    StoreError, WindowData,
};

use crate::decide::{decide, next_try, AbsenceReason, Action, Recheck, WindowFacts};
use crate::plan::{order, series_windows, SeriesView, SyncSettings, Window};
use crate::source::{FetchError, MeterSource};

/// How the runner behaves when Enedis misbehaves.
#[derive(Debug, Clone)]
pub struct RunSettings {
    /// What to hold and how to ask.
    pub plan: SyncSettings,
    /// Immediate retries of a call that failed for a passing reason (500, 503, network).
    pub max_retries: u32,
    /// First wait before such a retry; doubled each time, with jitter.
    pub backoff_base: StdDuration,
    /// Longest wait for a quota to come back within a run; beyond it the run stops.
    pub max_quota_wait: StdDuration,
    /// When a day whose call kept failing is asked again.
    pub failure_retry_after: Duration,
    /// When a meter without a direction (no production...) is checked again.
    pub direction_recheck: Duration,
    /// When a meter whose load curve is not enabled is checked again.
    pub curve_recheck: Duration,
    /// When a day asked before publication is asked again.
    pub unpublished_retry_after: Duration,
    /// Windows that may keep failing in one run before the run stops (Enedis is down).
    pub max_failed_windows: u32,
    /// The longest a run may take: past it, it stops where it is (what was stored stays, the
    /// rest waits for the next run), so a peer that never answers cannot hold it.
    pub deadline: StdDuration,
    /// How old a contract reading may get before it is read again.
    pub contract_max_age: Duration,
    /// Relative difference between a daily total and its load curve that flags the day.
    pub mismatch_tolerance: f64,
}

impl Default for RunSettings {
    fn default() -> RunSettings {
        RunSettings {
            plan: SyncSettings::default(),
            max_retries: 3,
            backoff_base: StdDuration::from_secs(2),
            max_quota_wait: StdDuration::from_secs(600),
            failure_retry_after: Duration::hours(1),
            direction_recheck: Duration::days(30),
            curve_recheck: Duration::days(7),
            unpublished_retry_after: Duration::hours(2),
            max_failed_windows: 5,
            deadline: StdDuration::from_secs(20 * 60),
            contract_max_age: Duration::days(30),
            mismatch_tolerance: 0.01,
        }
    }
}

/// Told as the run goes, for progress bars.
pub trait Progress: Send + Sync {
    /// A round of `total` windows starts.
    fn start(&self, total: usize);
    /// One window is done.
    fn advance(&self, window: &Window);
    /// The run is over.
    fn finish(&self);
}

/// No progress display.
pub struct Quiet;

impl Progress for Quiet {
    fn start(&self, _: usize) {}
    fn advance(&self, _: &Window) {}
    fn finish(&self) {}
}

/// Why a run stopped before the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// The quota is spent until this instant.
    Quota(Option<DateTime<Utc>>),
    /// The tokens are refused: sign in again.
    Unauthorized(String),
    /// Enedis keeps failing.
    Unavailable(String),
}

/// One series at the end of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesSummary {
    /// Meter.
    pub pdl: UsagePoint,
    /// Direction.
    pub direction: Direction,
    /// Kind.
    pub kind: Kind,
    /// The days to hold.
    pub span: Option<(NaiveDate, NaiveDate)>,
    /// Days stored.
    pub fetched: u32,
    /// Days never asked yet (or waiting for a later run).
    pub missing: u32,
    /// Daily totals not asked on purpose yet: they cross-check a held load curve a week at a
    /// time (not missing).
    pub waiting: u32,
    /// Days not yet published.
    pub not_published: u32,
    /// Days whose calls failed (asked again later).
    pub failed: u32,
    /// Days Enedis has nothing for, by reason.
    pub absent: BTreeMap<String, u32>,
    /// Days whose total disagrees with the load curve.
    pub mismatch: u32,
    /// The whole series is absent, and why (`wrong_direction`, `curve_not_enabled`).
    pub whole_absence: Option<String>,
}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct SyncReport {
    /// Enedis calls made.
    pub calls: u32,
    /// Windows asked.
    pub windows: u32,
    /// Meters whose consent Enedis says is gone, with Enedis' words.
    pub consent_lost: Vec<(UsagePoint, String)>,
    /// Why the run stopped early, if it did.
    pub stopped: Option<Stop>,
    /// Every series.
    pub series: Vec<SeriesSummary>,
    /// Failed Enedis calls by [`FetchError::label`], retried ones included.
    pub errors: BTreeMap<String, u32>,
    /// Meters whose stale contract could not be read this run (asked again next run; what was
    /// known is kept).
    pub contracts_unread: Vec<UsagePoint>,
}

const ROUNDS: usize = 3;

/// Retries spent on one call.
#[derive(Debug, Default)]
struct Tries {
    transient: u32,
    quota_waits: u32,
}

fn jitter(seed: u64) -> f64 {
    let x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (seed >> 29);
    0.5 + (x % 1000) as f64 / 1000.0
}

/// The runner of one sync.
pub struct Runner<'a, S> {
    store: &'a mut Store,
    source: &'a S,
    clock: &'a dyn Clock,
    settings: &'a RunSettings,
    progress: &'a dyn Progress,
    lost: HashSet<UsagePoint>,
    report: SyncReport,
    failed_windows: u32,
    /// Days fetched this run, per meter and direction and kind, for the consistency check.
    touched: BTreeSet<(UsagePoint, Direction, Kind, NaiveDate)>,
    /// Days being fetched again because of a mismatch.
    refetching: HashSet<(UsagePoint, Direction, NaiveDate)>,
    /// Series found absent during this run: their queued windows are dropped.
    absent_now: HashSet<(UsagePoint, Direction, Kind)>,
    /// The open batch of writes: when it began, and how many windows it holds.
    batch: Option<(std::time::Instant, u32)>,
}

/// Windows written in one batch at most, and how long a batch stays open: a crash loses at
/// most this much, which the next run fetches again.
/// Paced at Enedis's rate (a few calls a second) a batch holds a window or two, so what is
/// fetched shows up at once; only a fast backfill (answers already at hand) fills whole batches.
const BATCH_WINDOWS: u32 = 32;
const BATCH_AGE: std::time::Duration = std::time::Duration::from_millis(250);

impl<'a, S: MeterSource> Runner<'a, S> {
    /// A runner over a store and a source.
    pub fn new(
        store: &'a mut Store,
        source: &'a S,
        clock: &'a dyn Clock,
        settings: &'a RunSettings,
        progress: &'a dyn Progress,
    ) -> Runner<'a, S> {
        Runner {
            store,
            source,
            clock,
            settings,
            progress,
            lost: HashSet::new(),
            report: SyncReport::default(),
            failed_windows: 0,
            touched: BTreeSet::new(),
            refetching: HashSet::new(),
            absent_now: HashSet::new(),
            batch: None,
        }
    }

    /// Opens a batch of writes if none is open.
    fn open_batch(&mut self) -> Result<(), StoreError> {
        if self.batch.is_none() {
            self.store.begin_batch()?;
            self.batch = Some((std::time::Instant::now(), 0));
        }
        Ok(())
    }

    /// Counts a written window into the open batch, and commits it when full or old: one disk
    /// sync per batch instead of one per window.
    fn count_window(&mut self) -> Result<(), StoreError> {
        if let Some((since, windows)) = self.batch {
            self.batch = Some((since, windows + 1));
            if windows + 1 >= BATCH_WINDOWS || since.elapsed() >= BATCH_AGE {
                self.commit_batch()?;
            }
        }
        Ok(())
    }

    /// Commits the open batch before a wait, so that nothing fetched waits unwritten. A failure
    /// here is the store's, not Enedis's: it is logged, and the next write reports it.
    fn commit_before_wait(&mut self) {
        if let Err(e) = self.commit_batch() {
            tracing::warn!(error = %e, "the windows fetched so far could not be committed");
        }
    }

    /// Commits the open batch, if any: before any wait, and at the end of each round.
    fn commit_batch(&mut self) -> Result<(), StoreError> {
        if self.batch.take().is_some() {
            self.store.commit_batch()?;
        }
        Ok(())
    }

    /// One sync of `meters`: contracts when stale, then rounds of planning and fetching until
    /// nothing is left to ask (at most three rounds: the later ones only re-check what the
    /// first one learnt, such as a mismatch).
    pub async fn run(mut self, meters: &[UsagePoint]) -> Result<SyncReport, StoreError> {
        let started = self.clock.now();
        let begun = std::time::Instant::now();
        let run_id = self.store.begin_run(started)?;
        let calls_before = self.source.calls();
        for pdl in meters {
            self.store.add_meter(pdl, started)?;
        }
        self.read_contracts(meters).await?;
        for _ in 0..ROUNDS {
            if self.report.stopped.is_some() {
                break;
            }
            let windows = self.plan(meters)?;
            if windows.is_empty() {
                break;
            }
            self.progress.start(windows.len());
            let mut queue: VecDeque<Window> = windows.into();
            while let Some(window) = queue.pop_front() {
                if self.report.stopped.is_none() && begun.elapsed() > self.settings.deadline {
                    self.report.stopped = Some(Stop::Unavailable(format!(
                        "the sync stopped after {} minutes; it goes on at the next run",
                        self.settings.deadline.as_secs() / 60
                    )));
                }
                if self.report.stopped.is_some() {
                    break;
                }
                if self.lost.contains(&window.pdl)
                    || self.absent_now.contains(&(
                        window.pdl.clone(),
                        window.direction,
                        window.kind,
                    ))
                {
                    continue;
                }
                let result = self.fetch(&window).await;
                self.report.windows += 1;
                self.open_batch()?;
                let applied = self.apply(&window, result, &mut queue);
                if applied.is_err() {
                    // What the batch holds is whole: keep it, then report the failure.
                    self.commit_batch()?;
                }
                applied?;
                self.count_window()?;
                self.progress.advance(&window);
            }
            self.commit_batch()?;
            self.check_consistency()?;
        }
        self.progress.finish();
        self.report.calls = self.source.calls() - calls_before;
        self.report.series = self.summaries(meters)?;
        let outcome = match &self.report.stopped {
            None if self.report.consent_lost.is_empty() => RunOutcome::Ok,
            None => RunOutcome::ConsentLost,
            Some(Stop::Quota(_)) => RunOutcome::Quota,
            Some(Stop::Unauthorized(_)) => RunOutcome::Unauthorized,
            Some(Stop::Unavailable(_)) => RunOutcome::Unavailable,
        };
        self.store.finish_run(
            run_id,
            self.clock.now(),
            outcome,
            self.report.calls,
            &self.report.errors,
            &format!("{} windows", self.report.windows),
        )?;
        Ok(self.report)
    }

    /// Reads at most one part of each meter's contract (one call on the 2026 API): a part never
    /// read first, in the order the data needs them; once all are known, the oldest part when
    /// the last read is older than `contract_max_age` (each part every three months).
    async fn read_contracts(&mut self, meters: &[UsagePoint]) -> Result<(), StoreError> {
        let now = self.clock.now();
        let records = self.store.meters()?;
        for pdl in meters {
            let record = records.iter().find(|m| &m.pdl == pdl);
            let Some(part) = contract_part_due(record, now, self.settings.contract_max_age) else {
                continue;
            };
            match self.contract(pdl, part).await {
                Ok(read) => {
                    self.store.set_contract(pdl, &read, now)?;
                    self.directions_from_contract(pdl, &read)?;
                }
                Err(e) if e.kind() == ErrorKind::ConsentLost => self.lose(pdl, &e)?,
                // Not marked as read: the next sync asks again, and what was known stays.
                Err(e) => {
                    tracing::info!(%pdl, error = %e, "contract not read");
                    self.report.contracts_unread.push(pdl.clone());
                }
            }
        }
        Ok(())
    }

    /// What the contract's synthesis says of the directions: one the meter does not measure is
    /// absent without a call to probe it, until the synthesis is read again (the parts rotate
    /// monthly, so about three months); one it measures again (new solar panels) loses its
    /// absence at once. A series holding data is left alone.
    fn directions_from_contract(
        &mut self,
        pdl: &UsagePoint,
        read: &ContractRead,
    ) -> Result<(), StoreError> {
        let Some(measured) = &read.facts.directions else {
            return Ok(());
        };
        let now = self.clock.now();
        let known = self.store.absences(pdl)?;
        let wrong_direction = AbsenceReason::WrongDirection;
        for direction in Direction::ALL {
            for &kind in Kind::of(direction) {
                let absence = known
                    .iter()
                    .find(|a| a.direction == direction && a.kind == kind);
                if measured.contains(&direction) {
                    if absence.is_some_and(|a| a.reason == wrong_direction.as_str()) {
                        self.store.set_absence(pdl, direction, kind, None)?;
                    }
                    continue;
                }
                let held = self
                    .store
                    .state_counts(pdl, direction, kind)?
                    .keys()
                    .any(|(state, _)| *state == DayState::Fetched);
                if held || absence.is_some_and(|a| a.reason != wrong_direction.as_str()) {
                    continue;
                }
                let next_read = self.settings.contract_max_age * ContractPart::ALL.len() as i32;
                let recheck = now + next_read.max(self.recheck(Recheck::Direction));
                self.store.set_absence(
                    pdl,
                    direction,
                    kind,
                    Some((wrong_direction.as_str(), recheck)),
                )?;
            }
        }
        Ok(())
    }

    fn lose(&mut self, pdl: &UsagePoint, e: &FetchError) -> Result<(), StoreError> {
        let words = match e {
            FetchError::Enedis(x) => format!("{} {}", x.code, x.description),
            other => other.to_string(),
        };
        self.store
            .mark_consent_lost(pdl, &words, self.clock.now())?;
        if self.lost.insert(pdl.clone()) {
            self.report.consent_lost.push((pdl.clone(), words));
        }
        Ok(())
    }

    fn views(&self, meters: &[UsagePoint]) -> Result<Vec<SeriesView>, StoreError> {
        let records = self.store.meters()?;
        let now_local = paris::local(self.clock.now());
        let mut views = Vec::new();
        for pdl in meters.iter().filter(|p| !self.lost.contains(*p)) {
            let record = records.iter().find(|m| &m.pdl == pdl);
            let activation = record.and_then(|m| m.activation_date);
            let absences = self.store.absences(pdl)?;
            for direction in Direction::ALL {
                for &kind in Kind::of(direction) {
                    let ledger = match self.settings.plan.span(kind, now_local, activation) {
                        Some((first, last)) => {
                            self.store.ledger(pdl, direction, kind, first, last)?
                        }
                        None => BTreeMap::new(),
                    };
                    let absence = absences
                        .iter()
                        .find(|a| a.direction == direction && a.kind == kind)
                        .cloned();
                    views.push(SeriesView {
                        pdl: pdl.clone(),
                        direction,
                        kind,
                        activation,
                        absence,
                        ledger,
                        cross_check_only: false,
                    });
                }
            }
        }
        let held = curves_held(&views, &self.settings.plan, now_local);
        for view in views.iter_mut().filter(|v| v.kind == Kind::Daily) {
            view.cross_check_only = held.contains(&(view.pdl.clone(), view.direction));
        }
        Ok(views)
    }

    fn plan(&mut self, meters: &[UsagePoint]) -> Result<Vec<Window>, StoreError> {
        let now = self.clock.now();
        let now_local = paris::local(now);
        let views = self.views(meters)?;
        let mut windows = Vec::new();
        for view in &views {
            for (day, entry) in &view.ledger {
                if entry.state == DayState::Refetch {
                    self.refetching
                        .insert((view.pdl.clone(), view.direction, *day));
                }
            }
            windows.extend(series_windows(view, &self.settings.plan, now, now_local));
        }
        Ok(order(windows, now_local.date()))
    }

    async fn fetch(&mut self, window: &Window) -> Result<WindowData, FetchError> {
        let mut tries = Tries::default();
        // The source paces its own requests (Enedis's 5 a second per application).
        loop {
            let result = self.source.fetch(window).await;
            let Err(error) = result else { return result };
            self.wait_before_retry(error, &mut tries).await?;
        }
    }

    /// The contract, with the same retries as data: a part lost to a quota or an outage is
    /// asked again, and a contract is never stored half read.
    async fn contract(
        &mut self,
        pdl: &UsagePoint,
        part: ContractPart,
    ) -> Result<ContractRead, FetchError> {
        let mut tries = Tries::default();
        loop {
            let result = self.source.contract(pdl, part).await;
            let Err(error) = result else { return result };
            self.wait_before_retry(error, &mut tries).await?;
        }
    }

    /// Counts a failed call, then waits before the next try (for `nextAccessTime` after a
    /// quota, with backoff and jitter after an outage) or gives the error back.
    async fn wait_before_retry(
        &mut self,
        error: FetchError,
        tries: &mut Tries,
    ) -> Result<(), FetchError> {
        *self
            .report
            .errors
            .entry(error.label().to_owned())
            .or_default() += 1;
        if let FetchError::TimedOut(_) = error {
            return Err(error);
        }
        match error.kind() {
            ErrorKind::Quota if tries.quota_waits < 5 => {
                let now = self.clock.now();
                let wait = error.next_access().map_or(StdDuration::from_secs(1), |t| {
                    (t - now).to_std().unwrap_or(StdDuration::from_millis(200))
                });
                if wait > self.settings.max_quota_wait {
                    return Err(error);
                }
                tries.quota_waits += 1;
                tracing::info!(seconds = wait.as_secs_f64(), "quota reached, waiting");
                self.commit_before_wait();
                tokio::time::sleep(wait.max(StdDuration::from_millis(50))).await;
                Ok(())
            }
            // An answer that is not one of Enedis's (an HTML page from a proxy or a portal) is a
            // failure like an outage, never a verdict on the days.
            ErrorKind::Unavailable | ErrorKind::Other
                if tries.transient < self.settings.max_retries =>
            {
                let factor = 2f64.powi(tries.transient as i32)
                    * jitter(u64::from(self.report.windows) * 31 + u64::from(tries.transient));
                tries.transient += 1;
                self.commit_before_wait();
                tokio::time::sleep(self.settings.backoff_base.mul_f64(factor)).await;
                Ok(())
            }
            _ => Err(error),
        }
    }

    fn days_with_data(kind: Kind, data: &WindowData) -> BTreeSet<NaiveDate> {
        match (kind, data) {
            (_, WindowData::Curve(points)) => points
                .iter()
                .map(|p: &LoadCurvePoint| paris::local_date(p.start()))
                .collect(),
            (_, WindowData::Daily(days)) => days.iter().map(|d| d.date).collect(),
            (_, WindowData::Peaks(peaks)) => peaks.iter().map(|p| p.date).collect(),
            (_, WindowData::Nothing) => BTreeSet::new(),
        }
    }

    /// Outcomes of the days of a window that came back without data for some days.
    fn outcomes(&self, window: &Window, with_data: &BTreeSet<NaiveDate>) -> Vec<DayOutcome> {
        let now = self.clock.now();
        let last = self.settings.plan.last_published(paris::local(now));
        let may_be_late_from = last - Duration::days(self.settings.plan.late_days - 1);
        window
            .days()
            .map(|day| {
                if with_data.contains(&day) {
                    let refetched =
                        self.refetching
                            .contains(&(window.pdl.clone(), window.direction, day));
                    DayOutcome {
                        day,
                        state: DayState::Fetched,
                        reason: refetched.then(|| "refetched".to_owned()),
                        next_try_at: None,
                    }
                } else if day >= may_be_late_from {
                    DayOutcome {
                        day,
                        state: DayState::NotPublished,
                        reason: None,
                        next_try_at: Some(now + self.settings.unpublished_retry_after),
                    }
                } else {
                    DayOutcome {
                        day,
                        state: DayState::Absent,
                        reason: Some(AbsenceReason::NoDataFound.as_str().to_owned()),
                        next_try_at: None,
                    }
                }
            })
            .collect()
    }

    /// Records days that came back without data, with these outcomes.
    fn record_days(&mut self, window: &Window, outcomes: &[DayOutcome]) -> Result<(), StoreError> {
        let now = self.clock.now();
        self.store.record_window(
            &window.pdl,
            window.direction,
            window.kind,
            &WindowData::Nothing,
            outcomes,
            now,
        )
    }

    /// Stores a window's data, or carries out what [`decide`] says of its refusal.
    fn apply(
        &mut self,
        window: &Window,
        result: Result<WindowData, FetchError>,
        queue: &mut VecDeque<Window>,
    ) -> Result<(), StoreError> {
        let now = self.clock.now();
        let (pdl, direction, kind) = (&window.pdl, window.direction, window.kind);
        let absence = self
            .store
            .absences(pdl)?
            .into_iter()
            .find(|a| a.direction == direction && a.kind == kind);
        let error = match result {
            Ok(data) => {
                let with_data = Self::days_with_data(kind, &data);
                let outcomes = self.outcomes(window, &with_data);
                for o in outcomes.iter().filter(|o| o.state == DayState::Fetched) {
                    self.touched.insert((pdl.clone(), direction, kind, o.day));
                }
                self.store
                    .record_window(pdl, direction, kind, &data, &outcomes, now)?;
                if absence.is_some() {
                    self.store.set_absence(pdl, direction, kind, None)?;
                }
                self.failed_windows = 0;
                return Ok(());
            }
            Err(error) => error,
        };
        let daily_stored = kind == Kind::Curve
            && window.len() > 1
            && error.kind() == ErrorKind::NoData
            && !self
                .store
                .daily(pdl, direction, window.start, window.end - Duration::days(1))?
                .is_empty();
        let facts = WindowFacts {
            kind,
            days: window.len(),
            series_absent: absence.is_some(),
            daily_stored,
        };
        match decide(error.kind(), &short_reason(&error), facts) {
            Action::Split => {
                // Newer half first.
                let [newer, older] = window.halves();
                queue.push_front(older);
                queue.push_front(newer);
            }
            Action::NoDataDays => {
                let outcomes = self.outcomes(window, &BTreeSet::new());
                self.record_days(window, &outcomes)?;
            }
            Action::DaysAbsent(reason) => {
                let outcomes: Vec<DayOutcome> = window
                    .days()
                    .map(|day| DayOutcome {
                        day,
                        state: DayState::Absent,
                        reason: Some(reason.as_str().to_owned()),
                        next_try_at: None,
                    })
                    .collect();
                self.record_days(window, &outcomes)?;
            }
            Action::SeriesAbsent(reason, recheck) => {
                let after = self.recheck(recheck);
                self.store.set_absence(
                    pdl,
                    direction,
                    kind,
                    Some((reason.as_str(), now + after)),
                )?;
                self.absent_now.insert((pdl.clone(), direction, kind));
            }
            Action::StillAbsent => {
                let reason = absence.map(|a| a.reason).unwrap_or_default();
                let after = self.recheck(Recheck::Curve);
                self.store
                    .set_absence(pdl, direction, kind, Some((&reason, now + after)))?;
            }
            Action::DirectionAbsent => {
                // The meter does not measure this direction: no kind of it exists.
                let after = self.recheck(Recheck::Direction);
                for &k in Kind::of(direction) {
                    let reason = AbsenceReason::WrongDirection;
                    self.store.set_absence(
                        pdl,
                        direction,
                        k,
                        Some((reason.as_str(), now + after)),
                    )?;
                    self.absent_now.insert((pdl.clone(), direction, k));
                }
            }
            Action::LoseConsent => self.lose(pdl, &error)?,
            Action::StopUnauthorized => {
                self.report.stopped = Some(Stop::Unauthorized(error.to_string()))
            }
            Action::StopQuota => self.report.stopped = Some(Stop::Quota(error.next_access())),
            Action::DaysFailed => {
                let last_day = window.end - Duration::days(1);
                let ledger = self
                    .store
                    .ledger(pdl, direction, kind, window.start, last_day)?;
                let outcomes: Vec<DayOutcome> = window
                    .days()
                    .map(|day| {
                        let attempts = ledger
                            .get(&day)
                            .filter(|e| e.state == DayState::Failed)
                            .map_or(0, |e| e.attempts);
                        DayOutcome {
                            day,
                            state: DayState::Failed,
                            reason: Some(short_reason(&error)),
                            next_try_at: Some(next_try(
                                now,
                                self.settings.failure_retry_after,
                                attempts,
                            )),
                        }
                    })
                    .collect();
                self.record_days(window, &outcomes)?;
                self.failed_windows += 1;
                if self.failed_windows >= self.settings.max_failed_windows {
                    self.report.stopped = Some(Stop::Unavailable(error.to_string()));
                }
            }
        }
        Ok(())
    }

    fn recheck(&self, which: Recheck) -> Duration {
        match which {
            Recheck::Curve => self.settings.curve_recheck,
            Recheck::Direction => self.settings.direction_recheck,
        }
    }

    /// Daily totals against summed load curves for the days fetched this run: a difference over
    /// the tolerance asks for the curve again once, then flags the day.
    fn check_consistency(&mut self) -> Result<(), StoreError> {
        let now = self.clock.now();
        let touched: Vec<_> = self
            .touched
            .iter()
            .filter(|(_, _, k, _)| *k == Kind::Curve)
            .cloned()
            .collect();
        let mut flags: BTreeMap<(UsagePoint, Direction), Vec<DayOutcome>> = BTreeMap::new();
        for (pdl, direction, _, day) in touched {
            let Some(daily) = self
                .store
                .daily(&pdl, direction, day, day)?
                .first()
                .copied()
            else {
                continue;
            };
            let (start, end) = paris::day_bounds(day);
            let curve: Energy = self.store.curve(&pdl, direction, start, end)?.energy();
            let expected = daily.energy.wh();
            let difference = (curve.wh() - expected).abs();
            if expected <= 0.0
                || difference / expected <= self.settings.mismatch_tolerance
                || difference < 1.0
            {
                continue;
            }
            let again = self.refetching.contains(&(pdl.clone(), direction, day));
            let state = if again {
                DayState::Mismatch
            } else {
                DayState::Refetch
            };
            tracing::warn!(%pdl, %day, curve = curve.wh(), daily = expected, "daily total and load curve disagree");
            flags.entry((pdl, direction)).or_default().push(DayOutcome {
                day,
                state,
                reason: Some("daily_total_differs".to_owned()),
                next_try_at: None,
            });
        }
        for ((pdl, direction), outcomes) in flags {
            self.store.record_window(
                &pdl,
                direction,
                Kind::Curve,
                &WindowData::Nothing,
                &outcomes,
                now,
            )?;
        }
        self.touched.clear();
        Ok(())
    }

    fn summaries(&self, meters: &[UsagePoint]) -> Result<Vec<SeriesSummary>, StoreError> {
        let now_local = paris::local(self.clock.now());
        let records = self.store.meters()?;
        let held = curves_held(&self.views(meters)?, &self.settings.plan, now_local);
        let mut out = Vec::new();
        for pdl in meters {
            let activation = records
                .iter()
                .find(|m| &m.pdl == pdl)
                .and_then(|m| m.activation_date);
            let absences = self.store.absences(pdl)?;
            for direction in Direction::ALL {
                for &kind in Kind::of(direction) {
                    let span = self.settings.plan.span(kind, now_local, activation);
                    let mut s = SeriesSummary {
                        pdl: pdl.clone(),
                        direction,
                        kind,
                        span,
                        fetched: 0,
                        missing: 0,
                        waiting: 0,
                        not_published: 0,
                        failed: 0,
                        absent: BTreeMap::new(),
                        mismatch: 0,
                        whole_absence: absences
                            .iter()
                            .find(|a| a.direction == direction && a.kind == kind)
                            .map(|a| a.reason.clone()),
                    };
                    // A series absent as a whole has no missing days: none will ever come.
                    if let Some((first, last)) = span.filter(|_| s.whole_absence.is_none()) {
                        let ledger = self.store.ledger(pdl, direction, kind, first, last)?;
                        let total = (last - first).num_days() as u32 + 1;
                        for entry in ledger.values() {
                            match entry.state {
                                DayState::Fetched => s.fetched += 1,
                                DayState::NotPublished => s.not_published += 1,
                                DayState::Failed | DayState::Refetch => s.failed += 1,
                                DayState::Mismatch => s.mismatch += 1,
                                DayState::Absent => {
                                    *s.absent
                                        .entry(entry.reason.clone().unwrap_or_default())
                                        .or_default() += 1
                                }
                            }
                        }
                        s.missing = total.saturating_sub(ledger.len() as u32);
                        if kind == Kind::Daily && held.contains(&(pdl.clone(), direction)) {
                            let period = self.settings.plan.daily_check_days.max(1);
                            let from = (last - chrono::Duration::days(period - 2)).max(first);
                            s.waiting = from
                                .iter_days()
                                .take_while(|d| *d <= last)
                                .filter(|d| !ledger.contains_key(d))
                                .count() as u32;
                            s.missing -= s.waiting.min(s.missing);
                        }
                    }
                    out.push(s);
                }
            }
        }
        Ok(out)
    }
}

/// The part of a meter's contract to read now, if any: one never read, in the order of
/// [`ContractPart::ALL`]; else the oldest once the last read is older than `max_age`.
pub fn contract_part_due(
    record: Option<&MeterRecord>,
    now: DateTime<Utc>,
    max_age: Duration,
) -> Option<ContractPart> {
    let Some(record) = record else {
        return ContractPart::ALL.first().copied();
    };
    if let Some(never) = ContractPart::ALL
        .into_iter()
        .find(|p| record.part_read_at(*p).is_none())
    {
        return Some(never);
    }
    if record.contract_read_at.is_some_and(|t| now - t <= max_age) {
        return None;
    }
    ContractPart::ALL
        .into_iter()
        .min_by_key(|p| record.part_read_at(*p))
}

/// The meters and directions whose load curve is held up to the last days: their daily totals
/// only cross-check it.
fn curves_held(
    views: &[SeriesView],
    plan: &SyncSettings,
    now_local: chrono::NaiveDateTime,
) -> HashSet<(UsagePoint, Direction)> {
    let recent =
        plan.last_published(now_local) - chrono::Duration::days(plan.daily_check_days.max(1));
    views
        .iter()
        .filter(|v| v.kind == Kind::Curve && v.absence.is_none())
        .filter(|v| {
            v.ledger
                .range(recent..)
                .any(|(_, e)| e.state == DayState::Fetched)
        })
        .map(|v| (v.pdl.clone(), v.direction))
        .collect()
}

fn short_reason(error: &FetchError) -> String {
    match error {
        FetchError::Enedis(e) if !e.code.is_empty() => e.code.clone(),
        FetchError::Enedis(e) => format!("http_{}", e.status),
        FetchError::Transport(_) => "network".to_owned(),
        FetchError::TimedOut(_) => "timeout".to_owned(),
        FetchError::Unreadable(_) => "unreadable".to_owned(),
        FetchError::Unauthorized(_) => "unauthorized".to_owned(),
    }
}
