//! What linky-proxy keeps, and the interface every storage backend implements.
//!
//! Secrets never reach storage in clear: device codes, consent states, access and refresh tokens
//! are stored as SHA-256 hashes (the values have 256 bits of entropy, so a fast hash is enough);
//! the caller hashes before calling. User codes are short-lived and typed by people; they are
//! stored as typed (normalised) so they can be looked up, and die with their grant.
//!
//! Each method is one transaction: a backend must never leave a half-written grant, family or
//! rotation behind.

pub mod story;

use std::future::Future;

use chrono::{DateTime, Duration, Utc};

/// A storage failure. The detail is for the log; users get a generic error.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database said no.
    #[error("database error: {0}")]
    Database(String),
    /// Stored data that does not make sense (a bug or a hand-edited database).
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
}

/// Where a device grant stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantStatus {
    /// Waiting for the person (or for more meters: `meters` may already hold some).
    Pending,
    /// The person refused at Enedis.
    Denied,
    /// Tokens were issued: the device code is spent.
    Consumed,
}

impl GrantStatus {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            GrantStatus::Pending => "pending",
            GrantStatus::Denied => "denied",
            GrantStatus::Consumed => "consumed",
        }
    }

    /// From the stored form.
    pub fn parse(s: &str) -> Result<GrantStatus, StoreError> {
        match s {
            "pending" => Ok(GrantStatus::Pending),
            "denied" => Ok(GrantStatus::Denied),
            "consumed" => Ok(GrantStatus::Consumed),
            other => Err(StoreError::Corrupt(format!("grant status {other:?}"))),
        }
    }
}

/// A device authorization grant (RFC 8628).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// Row id.
    pub id: i64,
    /// The device's client id.
    pub client_id: String,
    /// `XXXX-XXXX`.
    pub user_code: String,
    /// When the device code and user code stop working.
    pub expires_at: DateTime<Utc>,
    /// Minimum seconds between polls.
    pub interval_seconds: i64,
    /// Last poll.
    pub last_poll_at: Option<DateTime<Utc>>,
    /// Where it stands.
    pub status: GrantStatus,
    /// Meters consented so far during the visit.
    pub meters: Vec<String>,
    /// When the earliest of those consents ends.
    pub consent_expires_at: Option<DateTime<Utc>>,
    /// The token family issued from it, once consumed.
    pub family_id: Option<i64>,
    /// When the device asked for its code.
    pub created_at: DateTime<Utc>,
    /// The address the device asked from, as the proxy saw it.
    pub client_address: Option<String>,
}

/// A new grant.
#[derive(Debug, Clone)]
pub struct NewGrant {
    /// SHA-256 of the device code.
    pub device_code_hash: String,
    /// `XXXX-XXXX`.
    pub user_code: String,
    /// The device's client id.
    pub client_id: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
    /// Poll interval.
    pub interval_seconds: i64,
    /// The address the device asked from (shown to the person who confirms the code).
    pub client_address: Option<String>,
}

/// What binding a consent to a grant did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindOutcome {
    /// The meters are now covered by the grant (and its tokens, if already issued).
    Bound(Grant),
    /// This Enedis `autorisation_id` was already bound: a replay, refused.
    AlreadyBound,
    /// The grant is gone or expired.
    NoGrant,
}

/// A token to store: its hash, kind and lifetime.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// SHA-256 of the token.
    pub hash: String,
    /// Until when it works.
    pub expires_at: DateTime<Utc>,
}

/// The family a token belongs to: what it may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Family {
    /// Row id.
    pub id: i64,
    /// The device's client id.
    pub client_id: String,
    /// The meters it covers.
    pub meters: Vec<String>,
    /// When the consent behind it ends.
    pub consent_expires_at: Option<DateTime<Utc>>,
}

/// What issuing tokens from a grant did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssueOutcome {
    /// Issued; the device code is now spent.
    Issued(Family),
    /// The grant was consumed meanwhile (a replayed device code).
    AlreadyConsumed,
}

/// What presenting a refresh token did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// A current refresh token: rotated, the new pair stored.
    Rotated(Family),
    /// The previous refresh token, within the grace period and while the token issued in its
    /// place was never presented: accepted (a client that lost the reply is not locked out, however
    /// many times it retries); that token is retired and a new pair issued.
    GraceReuse(Family),
    /// A retired refresh token used again outside the grace, or after the token that replaced it
    /// was presented: the family is revoked (theft).
    ReuseDetected,
    /// Unknown, expired, or its family revoked.
    Invalid,
}

/// A token family as the operator sees it (`linky-proxy admin grants`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FamilyRecord {
    /// Its id.
    pub id: i64,
    /// The device's client id.
    pub client_id: String,
    /// The meters it covers.
    pub meters: Vec<String>,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// When the consent behind it ends.
    pub consent_expires_at: Option<DateTime<Utc>>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
    /// The latest end of its tokens (none left: `None`).
    pub tokens_until: Option<DateTime<Utc>>,
}

/// Enedis's shared budget now (`linky-proxy admin quota`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaState {
    /// Calls counted in the current second.
    pub second: u32,
    /// Calls counted in the current hour.
    pub hour: u32,
    /// A pause Enedis asked for, if still running.
    pub paused_until: Option<DateTime<Utc>>,
}

/// What asking for one call to Enedis from the shared budget gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpstreamSlot {
    /// Granted: this many calls (at least one, at most the number asked) may go within the
    /// second of the request.
    Granted(u32),
    /// This second's calls are spent: try again in a moment.
    SecondFull,
    /// This hour's calls are spent, until `next_hour`.
    HourFull {
        /// The start of the next hour.
        next_hour: DateTime<Utc>,
    },
    /// Enedis asked every instance to wait (a 429 with `nextAccessTime`) until then.
    Paused {
        /// When calls may go again.
        until: DateTime<Utc>,
    },
}

/// The storage every backend provides. Clone is cheap (a pool or an `Arc`).
pub trait ProxyStore: Clone + Send + Sync + 'static {
    /// Whether several instances may share this storage, so that Enedis's quota must be
    /// counted in it ([`ProxyStore::take_upstream_call`]) rather than in each instance's memory.
    fn shared_by_instances(&self) -> bool {
        false
    }

    /// Checks that the database answers.
    fn health(&self) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Stores a new grant. User codes are unique among live grants: `Ok(false)` if the code is
    /// taken (draw another).
    fn create_grant(
        &self,
        grant: NewGrant,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// The live (unexpired) grant with this user code.
    fn grant_by_user_code(
        &self,
        user_code: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<Grant>, StoreError>> + Send;

    /// The grant with this device code hash, expired or not.
    fn grant_by_device_code(
        &self,
        device_code_hash: &str,
    ) -> impl Future<Output = Result<Option<Grant>, StoreError>> + Send;

    /// Records a poll and the interval to enforce from now on.
    fn record_poll(
        &self,
        grant_id: i64,
        at: DateTime<Utc>,
        interval_seconds: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Stores a single-use consent state for a grant.
    fn create_state(
        &self,
        state_hash: &str,
        grant_id: i64,
        expires_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Spends a state: the grant id if it existed, was unused and unexpired; it cannot be used
    /// again either way.
    fn take_state(
        &self,
        state_hash: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<i64>, StoreError>> + Send;

    /// Records the first arrival of an Enedis `autorisation_id`, for the flow of `grant_id` (or
    /// for none, when it came with an unknown state: it is then burnt). True the first time
    /// only: an `autorisation_id` is accepted only with the flow it first arrived with.
    fn claim_autorisation(
        &self,
        autorisation_id: i64,
        grant_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Binds consented meters to a grant (and to its token family if already issued). With an
    /// `autorisation_id`, refuses one bound or claimed by another grant. The consent end kept
    /// is the earliest.
    fn bind_consent(
        &self,
        grant_id: i64,
        autorisation_id: Option<i64>,
        meters: &[String],
        consent_expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<BindOutcome, StoreError>> + Send;

    /// Marks a pending grant refused.
    fn deny_grant(&self, grant_id: i64) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Spends a grant that has meters and issues a token family with its first pair.
    fn issue_tokens(
        &self,
        grant_id: i64,
        access: NewToken,
        refresh: NewToken,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<IssueOutcome, StoreError>> + Send;

    /// The family of a refresh token (current or retired), without using it: what the token
    /// may be refreshed for is checked before anything rotates.
    fn refresh_family(
        &self,
        refresh_hash: &str,
    ) -> impl Future<Output = Result<Option<Family>, StoreError>> + Send;

    /// Presents a refresh token: rotates it, or applies the grace and reuse rules (see
    /// [`RefreshOutcome`]), storing the new pair when the answer is a success. The new refresh
    /// token never outlives the family's consent.
    fn refresh(
        &self,
        refresh_hash: &str,
        access: NewToken,
        refresh: NewToken,
        grace: Duration,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<RefreshOutcome, StoreError>> + Send;

    /// The family of a live access token.
    fn access(
        &self,
        access_hash: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<Family>, StoreError>> + Send;

    /// Revokes the family of a token (access or refresh); false if the token is unknown.
    fn revoke_family(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Records a failed user-code guess from a client address and returns how many it made
    /// since `since`.
    fn record_failed_guess(
        &self,
        client: &str,
        now: DateTime<Utc>,
        since: DateTime<Utc>,
    ) -> impl Future<Output = Result<u32, StoreError>> + Send;

    /// Takes back one guess recorded at `at` (the code was right after all): only wrong codes
    /// count against the limit, yet recording first keeps concurrent guesses from overshooting.
    fn refund_guess(
        &self,
        client: &str,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// How many failed guesses a client address made since `since`.
    fn failed_guesses(
        &self,
        client: &str,
        since: DateTime<Utc>,
    ) -> impl Future<Output = Result<u32, StoreError>> + Send;

    /// Takes up to `want` calls from Enedis's quota, shared by every instance on this storage: at
    /// most `per_second` calls in the second of `now` and `per_hour` in its hour, none while
    /// Enedis asked to pause. Counted when granted (an instance that takes several spends them
    /// within that second or loses them: the quota is never overshot).
    fn take_upstream_calls(
        &self,
        now: DateTime<Utc>,
        per_second: u32,
        per_hour: u32,
        want: u32,
    ) -> impl Future<Output = Result<UpstreamSlot, StoreError>> + Send;

    /// Pauses every instance's calls to Enedis until `until` (a later pause wins).
    fn pause_upstream(
        &self,
        until: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Device codes still waiting for their person, and token families alive (not revoked, with
    /// a token still valid), for the metrics.
    fn live_counts(
        &self,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<(u64, u64), StoreError>> + Send;

    /// Token families, newest first; only those covering `meter` when given.
    fn families(
        &self,
        meter: Option<&str>,
    ) -> impl Future<Output = Result<Vec<FamilyRecord>, StoreError>> + Send;

    /// Revokes one family by id; false if there is none (or it was already revoked).
    fn revoke_family_id(
        &self,
        id: i64,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Revokes every family covering `meter`; how many.
    fn revoke_meter(
        &self,
        meter: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Enedis's shared budget at `now`.
    fn quota_state(
        &self,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<QuotaState, StoreError>> + Send;

    /// Deletes what can no longer be used (expired grants, states, tokens, old guesses).
    fn purge_expired(
        &self,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
}
