//! Rate limits, in memory: token buckets per key (a client address, a token family) and for the
//! whole proxy. Real time (`Instant`), since they bound real request rates: Enedis's quota of 5
//! requests a second and 10 000 an hour for the application, shared by every household. With
//! several instances on one database, [`UpstreamQuota::shared`] also draws each call from a
//! budget kept in the database ([`StoreBudget`]), so the instances together stay within it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use linky_core::Clock;
use linky_proxy_store::{ProxyStore, StoreError, UpstreamSlot};

/// A bucket of `capacity` tokens refilled at `per_second`.
#[derive(Debug, Clone)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// How a bucket behaves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Tokens at most (the burst).
    pub capacity: f64,
    /// Tokens added each second.
    pub per_second: f64,
}

impl Rate {
    /// `n` per `period`, in bursts of up to `burst`.
    pub fn per(n: f64, period: Duration, burst: f64) -> Rate {
        Rate {
            capacity: burst.max(1.0),
            per_second: n / period.as_secs_f64().max(1e-9),
        }
    }
}

impl Bucket {
    fn full(rate: Rate, now: Instant) -> Bucket {
        Bucket {
            tokens: rate.capacity,
            last: now,
        }
    }

    fn refill(&mut self, rate: Rate, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * rate.per_second).min(rate.capacity);
        self.last = now;
    }

    /// Takes a token, or says how long until one is there.
    fn take(&mut self, rate: Rate, now: Instant) -> Result<(), Duration> {
        self.refill(rate, now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Ok(());
        }
        let missing = 1.0 - self.tokens;
        Err(Duration::from_secs_f64(missing / rate.per_second.max(1e-9)))
    }
}

/// One bucket per key, with a bounded number of keys: when full, the keys whose bucket is full
/// again (idle ones) are forgotten first, then all (an attacker spraying addresses cannot make
/// it grow).
#[derive(Debug)]
pub struct KeyedLimit {
    rate: Rate,
    max_keys: usize,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl KeyedLimit {
    /// A limit of `rate` per key, remembering at most `max_keys` keys.
    pub fn new(rate: Rate, max_keys: usize) -> KeyedLimit {
        KeyedLimit {
            rate,
            max_keys,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token for `key`, or says how long to wait.
    pub fn take(&self, key: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !buckets.contains_key(key) && buckets.len() >= self.max_keys {
            let rate = self.rate;
            buckets.retain(|_, b| {
                b.refill(rate, now);
                b.tokens < rate.capacity
            });
            if buckets.len() >= self.max_keys {
                buckets.clear();
            }
        }
        buckets
            .entry(key.to_owned())
            .or_insert_with(|| Bucket::full(self.rate, now))
            .take(self.rate, now)
    }
}

/// One bucket for everything.
#[derive(Debug)]
pub struct GlobalLimit {
    rate: Rate,
    bucket: Mutex<Bucket>,
}

impl GlobalLimit {
    /// A limit of `rate` in all.
    pub fn new(rate: Rate) -> GlobalLimit {
        GlobalLimit {
            rate,
            bucket: Mutex::new(Bucket::full(rate, Instant::now())),
        }
    }

    /// Takes a token, or says how long to wait.
    pub fn take(&self) -> Result<(), Duration> {
        self.bucket
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take(self.rate, Instant::now())
    }
}

/// Enedis's quota for the application, kept below: a per-second and a per-hour bucket. A call
/// waits a little for its turn, households taking turns in a round (a household with many calls
/// waiting gets one turn per round, as one with a single call: see [`FairTurn`]); past
/// `max_wait` it is refused with the time to wait.
pub struct UpstreamQuota {
    second: GlobalLimit,
    hour: GlobalLimit,
    turn: FairTurn,
    max_wait: Duration,
    shared: Option<(Arc<dyn SharedBudget>, Arc<dyn Clock>)>,
    metrics: Option<Arc<crate::metrics::ProxyMetrics>>,
    /// Calls taken from the shared budget for one second of the clock and not spent yet.
    lease: Mutex<(i64, u32)>,
    /// How many calls to take at once: one under Enedis's real quota (instances share it call
    /// by call), more when the limit is high (one database round trip serves several calls).
    lease_size: u32,
}

impl std::fmt::Debug for UpstreamQuota {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamQuota")
            .field("max_wait", &self.max_wait)
            .field("shared", &self.shared.is_some())
            .finish_non_exhaustive()
    }
}

tokio::task_local! {
    /// The household (token family) a task calls Enedis for; none for the proxy's own calls
    /// (its token, consent checks).
    static HOUSEHOLD: i64;
}

/// Runs `work` as calls for `household`: its calls to Enedis take the household's turns.
pub async fn for_household<F: std::future::Future>(household: i64, work: F) -> F::Output {
    HOUSEHOLD.scope(household, work).await
}

fn current_household() -> Option<i64> {
    HOUSEHOLD.try_with(|h| *h).ok()
}

/// One caller at a time, households in a round: each household waiting has its own queue, and
/// the turn goes to the first caller of the waiting household served least recently, so a
/// household that sends many calls at once gets no more turns than one that sends one. A caller
/// that stops waiting (its request was dropped) is passed over.
#[derive(Debug, Default)]
pub struct FairTurn {
    state: Mutex<TurnState>,
}

#[derive(Debug, Default)]
struct TurnState {
    /// Someone has the turn.
    taken: bool,
    /// Households waiting, each with its callers in order.
    waiting: Vec<(
        Option<i64>,
        std::collections::VecDeque<tokio::sync::oneshot::Sender<()>>,
    )>,
    /// When each household last had the turn (a count of turns given).
    last_served: HashMap<Option<i64>, u64>,
    /// Turns given so far.
    turns: u64,
}

/// Households remembered by [`TurnState::last_served`] at most: past it, those served longest
/// ago are forgotten (they count as never served, which only helps them).
const REMEMBERED_HOUSEHOLDS: usize = 10_000;

/// The turn, given to the next caller when dropped.
#[derive(Debug)]
pub struct Turn<'a> {
    owner: &'a FairTurn,
}

impl FairTurn {
    /// Waits for the turn of a caller of `household`.
    pub async fn wait(&self, household: Option<i64>) -> Turn<'_> {
        let receiver = {
            let mut state = self.lock();
            if !state.taken {
                state.taken = true;
                return Turn { owner: self };
            }
            let (sender, receiver) = tokio::sync::oneshot::channel();
            match state.waiting.iter_mut().find(|(h, _)| *h == household) {
                Some((_, callers)) => callers.push_back(sender),
                None => state
                    .waiting
                    .push((household, std::collections::VecDeque::from([sender]))),
            }
            receiver
        };
        let mut waiting = Waiting {
            owner: self,
            receiver,
            done: false,
        };
        // The sender is dropped only after the turn was handed over (or never, while queued).
        let _ = (&mut waiting.receiver).await;
        waiting.done = true;
        Turn { owner: self }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, TurnState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Hands the turn to the first caller of the waiting household served least recently.
    fn pass(&self) {
        let mut state = self.lock();
        let state = &mut *state;
        loop {
            let next = state
                .waiting
                .iter()
                .enumerate()
                .min_by_key(|(_, (h, _))| state.last_served.get(h).copied().unwrap_or(0))
                .map(|(i, _)| i);
            let Some(i) = next else {
                state.taken = false;
                return;
            };
            let household = state.waiting[i].0;
            let caller = state.waiting[i].1.pop_front();
            if state.waiting[i].1.is_empty() {
                state.waiting.swap_remove(i);
            }
            let Some(caller) = caller else { continue };
            if caller.send(()).is_ok() {
                state.turns += 1;
                state.last_served.insert(household, state.turns);
                if state.last_served.len() > REMEMBERED_HOUSEHOLDS {
                    let recent = state.turns.saturating_sub(REMEMBERED_HOUSEHOLDS as u64 / 2);
                    state.last_served.retain(|_, turn| *turn >= recent);
                }
                return;
            }
        }
    }
}

/// A caller in a household's queue. Dropped while waiting (its request was dropped), it passes
/// on a turn handed to it in the meantime, so that no turn is lost.
struct Waiting<'a> {
    owner: &'a FairTurn,
    receiver: tokio::sync::oneshot::Receiver<()>,
    done: bool,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if !self.done && self.receiver.try_recv().is_ok() {
            self.owner.pass();
        }
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.owner.pass();
    }
}

/// How often a waiting caller asks the shared budget again.
const SHARED_POLL: Duration = Duration::from_millis(25);

/// Enedis's quota as every instance on one storage shares it (one budget in the database).
pub trait SharedBudget: Send + Sync {
    /// Takes up to `want` calls at `now`, if the budget has some.
    fn take(&self, now: DateTime<Utc>, want: u32) -> BudgetFuture<'_, UpstreamSlot>;
    /// Holds every instance until `until`.
    fn pause(&self, until: DateTime<Utc>) -> BudgetFuture<'_, ()>;
}

/// What a [`SharedBudget`] answers.
pub type BudgetFuture<'a, T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// The shared budget kept by a [`ProxyStore`]: `per_second` and `per_hour` calls for every
/// instance together.
pub struct StoreBudget<S> {
    /// The storage every instance uses.
    pub store: S,
    /// Calls a second, all instances together.
    pub per_second: u32,
    /// Calls an hour, all instances together.
    pub per_hour: u32,
}

impl<S: ProxyStore> SharedBudget for StoreBudget<S> {
    fn take(&self, now: DateTime<Utc>, want: u32) -> BudgetFuture<'_, UpstreamSlot> {
        Box::pin(
            self.store
                .take_upstream_calls(now, self.per_second, self.per_hour, want),
        )
    }

    fn pause(&self, until: DateTime<Utc>) -> BudgetFuture<'_, ()> {
        Box::pin(self.store.pause_upstream(until))
    }
}

impl UpstreamQuota {
    /// At most `per_second` and `per_hour` calls, waiting at most `max_wait` for a slot.
    pub fn new(per_second: u32, per_hour: u32, max_wait: Duration) -> UpstreamQuota {
        UpstreamQuota {
            second: GlobalLimit::new(Rate::per(
                f64::from(per_second),
                Duration::from_secs(1),
                f64::from(per_second),
            )),
            hour: GlobalLimit::new(Rate::per(
                f64::from(per_hour),
                Duration::from_secs(3600),
                f64::from(per_hour),
            )),
            turn: FairTurn::default(),
            max_wait,
            shared: None,
            metrics: None,
            lease: Mutex::new((0, 0)),
            lease_size: (per_second / 16).clamp(1, 64),
        }
    }

    /// Counts its waits and refusals in `metrics`.
    pub fn observed(mut self, metrics: Arc<crate::metrics::ProxyMetrics>) -> UpstreamQuota {
        self.metrics = Some(metrics);
        self
    }

    /// Also draws every call from `budget`, shared with the other instances, at `clock`'s
    /// time (the same clock on every instance: the system's).
    pub fn shared(mut self, budget: Arc<dyn SharedBudget>, clock: Arc<dyn Clock>) -> UpstreamQuota {
        self.shared = Some((budget, clock));
        self
    }

    /// Waits for a slot; `Err(wait)` when none comes within `max_wait`.
    pub async fn acquire(&self) -> Result<(), Duration> {
        let started = Instant::now();
        let outcome = self.slot().await;
        if let Some(m) = &self.metrics {
            match outcome {
                Err(_) => m.quota_refusal(),
                Ok(()) if started.elapsed() >= Duration::from_millis(20) => m.quota_wait(),
                Ok(()) => {}
            }
        }
        outcome
    }

    async fn slot(&self) -> Result<(), Duration> {
        let _turn = self.turn.wait(current_household()).await;
        let deadline = Instant::now() + self.max_wait;
        let Some((budget, clock)) = &self.shared else {
            self.hour.take()?;
            loop {
                match self.second.take() {
                    Ok(()) => return Ok(()),
                    Err(wait) if Instant::now() + wait <= deadline => {
                        tokio::time::sleep(wait).await
                    }
                    Err(wait) => return Err(wait),
                }
            }
        };
        // The shared budget counts for every instance, by the clock's seconds and hours: the
        // local buckets, which know only this instance, would only get in its way.
        loop {
            let now = clock.now();
            {
                let mut lease = self
                    .lease
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if lease.0 == now.timestamp() && lease.1 > 0 {
                    lease.1 -= 1;
                    return Ok(());
                }
            }
            let wait = match budget.take(now, self.lease_size).await {
                Ok(UpstreamSlot::Granted(n)) => {
                    // This call takes one; the others wait here for the callers of this second.
                    *self
                        .lease
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner) =
                        (now.timestamp(), n.saturating_sub(1));
                    return Ok(());
                }
                Ok(UpstreamSlot::SecondFull) => SHARED_POLL,
                Ok(UpstreamSlot::HourFull { next_hour }) => {
                    return Err((next_hour - now).to_std().unwrap_or(SHARED_POLL))
                }
                Ok(UpstreamSlot::Paused { until }) => {
                    let left = (until - now).to_std().unwrap_or(SHARED_POLL);
                    if Instant::now() + left > deadline {
                        return Err(left);
                    }
                    SHARED_POLL
                }
                Err(e) => {
                    // Without the shared count no call goes: the quota is never overshot.
                    tracing::warn!(error = %e, "the shared Enedis budget cannot be read");
                    return Err(Duration::from_secs(1));
                }
            };
            if Instant::now() + wait > deadline {
                return Err(wait);
            }
            tokio::time::sleep(wait).await;
        }
    }

    /// Enedis answered 429 until `until`: every instance sharing the budget waits.
    pub async fn pause(&self, until: DateTime<Utc>) {
        if let Some((budget, _)) = &self.shared {
            if let Err(e) = budget.pause(until).await {
                tracing::warn!(error = %e, "the pause Enedis asked for could not be shared");
            }
        }
    }
}

impl enedis_client::Gate for UpstreamQuota {
    fn acquire(&self) -> impl std::future::Future<Output = Result<(), Duration>> + Send {
        UpstreamQuota::acquire(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn households_take_turns_whatever_their_number_of_calls() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            // 40 calls a second for one second; household 1 sends eight at a time, households
            // 2 and 3 one at a time: in a first-come round, household 1 would take 80 %.
            let quota = Arc::new(UpstreamQuota::new(40, 100_000, Duration::from_secs(5)));
            // The second's burst spent first: the turns matter when callers wait.
            for _ in 0..40 {
                quota.acquire().await.unwrap();
            }
            let end = Instant::now() + Duration::from_millis(1000);
            let mut tasks = Vec::new();
            for (household, callers) in [(1_i64, 8), (2, 1), (3, 1)] {
                for _ in 0..callers {
                    let quota = quota.clone();
                    tasks.push(tokio::spawn(for_household(household, async move {
                        let mut served = 0_u32;
                        while Instant::now() < end {
                            // Calls still queued at the end are served after it: not counted.
                            if quota.acquire().await.is_ok() && Instant::now() < end {
                                served += 1;
                            }
                        }
                        (household, served)
                    })));
                }
            }
            let mut served = HashMap::<i64, u32>::new();
            for t in tasks {
                let (household, n) = t.await.unwrap();
                *served.entry(household).or_default() += n;
            }
            eprintln!("calls served per household: {served:?}");
            let (greedy, others) = (served[&1], served[&2].min(served[&3]));
            assert!(others >= 8, "{served:?}");
            assert!(
                f64::from(greedy) <= 1.25 * f64::from(others) + 1.0,
                "one turn per household per round: {served:?}"
            );
        });
    }

    #[test]
    fn a_caller_that_stops_waiting_loses_no_turn() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let turn = FairTurn::default();
            let first = turn.wait(Some(1)).await;
            // A second caller gives up while queued; a third must still get the turn.
            let gave_up = tokio::time::timeout(Duration::from_millis(20), turn.wait(Some(2))).await;
            assert!(gave_up.is_err());
            drop(first);
            let third = tokio::time::timeout(Duration::from_secs(1), turn.wait(Some(3))).await;
            assert!(third.is_ok(), "the turn was not lost");
        });
    }

    #[test]
    fn buckets_refill_and_forget_idle_keys() {
        let rate = Rate {
            capacity: 2.0,
            per_second: 1.0,
        };
        let start = Instant::now();
        let mut b = Bucket::full(rate, start);
        assert!(b.take(rate, start).is_ok());
        assert!(b.take(rate, start).is_ok());
        let wait = b.take(rate, start).unwrap_err();
        assert!(wait > Duration::from_millis(900) && wait <= Duration::from_secs(1));
        assert!(b.take(rate, start + Duration::from_secs(1)).is_ok());

        let keyed = KeyedLimit::new(rate, 3);
        for key in ["a", "b", "c", "d", "e"] {
            assert!(keyed.take(key).is_ok(), "{key}");
        }
        assert!(keyed.buckets.lock().unwrap().len() <= 3, "bounded");
        assert!(keyed.take("e").is_ok());
        assert!(keyed.take("e").is_err(), "e spent its burst");
    }
}
