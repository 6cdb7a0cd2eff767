//! The contract of [`ProxyStore`](crate::ProxyStore) as one story every backend must pass: call
//! [`run`] from each backend's tests with a fresh, empty store. It panics at the first broken
//! promise, naming it.

use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::{
    BindOutcome, GrantStatus, IssueOutcome, NewGrant, NewToken, ProxyStore, RefreshOutcome,
    UpstreamSlot,
};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0)
        .single()
        .unwrap_or_default()
}

fn token(hash: &str, expires: DateTime<Utc>) -> NewToken {
    NewToken {
        hash: hash.to_owned(),
        expires_at: expires,
    }
}

/// Runs the story against `store`.
pub async fn run<S: ProxyStore>(store: &S) {
    let now = t0();
    store.health().await.expect("health");
    let grant = |code: &str, user: &str| NewGrant {
        device_code_hash: code.to_owned(),
        user_code: user.to_owned(),
        client_id: "client".to_owned(),
        created_at: now,
        expires_at: now + Duration::minutes(10),
        interval_seconds: 5,
        client_address: Some("192.0.2.7".to_owned()),
    };
    assert!(
        store.create_grant(grant("dc1", "BCDF-GHJK")).await.unwrap(),
        "a new grant is stored"
    );
    assert!(
        !store.create_grant(grant("dc2", "BCDF-GHJK")).await.unwrap(),
        "a live user code is not given twice"
    );
    let g = store
        .grant_by_user_code("BCDF-GHJK", now)
        .await
        .unwrap()
        .expect("found by user code");
    assert_eq!(
        (g.status, g.meters.len(), g.interval_seconds),
        (GrantStatus::Pending, 0, 5)
    );
    assert!(
        store
            .grant_by_user_code("BCDF-GHJK", now + Duration::minutes(11))
            .await
            .unwrap()
            .is_none(),
        "expired user codes are not found"
    );
    assert_eq!(
        store
            .grant_by_device_code("dc1")
            .await
            .unwrap()
            .map(|x| x.id),
        Some(g.id)
    );
    store.record_poll(g.id, now, 10).await.unwrap();
    let polled = store.grant_by_device_code("dc1").await.unwrap().unwrap();
    assert_eq!(
        (polled.last_poll_at, polled.interval_seconds),
        (Some(now), 10)
    );

    // States are single-use and expire.
    store
        .create_state("s1", g.id, now + Duration::minutes(10))
        .await
        .unwrap();
    assert_eq!(store.take_state("s1", now).await.unwrap(), Some(g.id));
    assert_eq!(
        store.take_state("s1", now).await.unwrap(),
        None,
        "a state works once"
    );
    store
        .create_state("s2", g.id, now + Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(
        store
            .take_state("s2", now + Duration::minutes(2))
            .await
            .unwrap(),
        None,
        "expired state"
    );
    assert_eq!(store.take_state("nope", now).await.unwrap(), None);

    // An autorisation_id is claimed by the flow it first arrives with; a burnt one never binds.
    assert!(store
        .claim_autorisation(555, Some(g.id), now)
        .await
        .unwrap());
    assert!(
        !store
            .claim_autorisation(555, Some(g.id), now)
            .await
            .unwrap(),
        "once"
    );
    assert!(!store.claim_autorisation(555, None, now).await.unwrap());
    assert!(
        store.claim_autorisation(556, None, now).await.unwrap(),
        "burnt"
    );
    assert_eq!(
        store
            .bind_consent(g.id, Some(556), &["33333333333333".to_owned()], now, now)
            .await
            .unwrap(),
        BindOutcome::AlreadyBound
    );

    // Consents bind meters; an autorisation_id binds once.
    let end = now + Duration::days(1000);
    let bound = store
        .bind_consent(
            g.id,
            Some(123_456_789),
            &["11111111111111".to_owned()],
            end,
            now,
        )
        .await
        .unwrap();
    assert!(
        matches!(&bound, BindOutcome::Bound(x) if x.meters == ["11111111111111"] && x.consent_expires_at == Some(end))
    );
    assert_eq!(
        store
            .bind_consent(
                g.id,
                Some(123_456_789),
                &["22222222222222".to_owned()],
                end,
                now
            )
            .await
            .unwrap(),
        BindOutcome::AlreadyBound
    );
    let earlier = now + Duration::days(500);
    store
        .bind_consent(
            g.id,
            Some(987_654_321),
            &["22222222222222".to_owned()],
            earlier,
            now,
        )
        .await
        .unwrap();
    let g = store.grant_by_device_code("dc1").await.unwrap().unwrap();
    assert_eq!(g.meters, ["11111111111111", "22222222222222"]);
    assert_eq!(
        g.consent_expires_at,
        Some(earlier),
        "the earliest consent end is kept"
    );
    store.deny_grant(g.id).await.unwrap();
    assert_eq!(
        store
            .grant_by_device_code("dc1")
            .await
            .unwrap()
            .unwrap()
            .status,
        GrantStatus::Pending,
        "a grant with meters is not denied by a later refusal"
    );

    // Issuing spends the grant.
    let issued = store
        .issue_tokens(
            g.id,
            token("a1", now + Duration::hours(3)),
            token("r1", end),
            now,
        )
        .await
        .unwrap();
    let IssueOutcome::Issued(family) = issued else {
        panic!("tokens issued")
    };
    assert_eq!(family.meters, ["11111111111111", "22222222222222"]);
    assert_eq!(
        store
            .issue_tokens(g.id, token("a9", end), token("r9", end), now)
            .await
            .unwrap(),
        IssueOutcome::AlreadyConsumed,
        "a device code works once"
    );
    assert_eq!(
        store.access("a1", now).await.unwrap().map(|f| f.id),
        Some(family.id)
    );
    assert!(
        store
            .access("a1", now + Duration::hours(4))
            .await
            .unwrap()
            .is_none(),
        "expired access token"
    );
    assert!(
        store.access("r1", now).await.unwrap().is_none(),
        "a refresh token is not an access token"
    );

    // A meter consented after issuance joins the family.
    store
        .bind_consent(
            g.id,
            Some(555_555_555),
            &["33333333333333".to_owned()],
            end,
            now,
        )
        .await
        .unwrap();
    assert_eq!(
        store.access("a1", now).await.unwrap().unwrap().meters.len(),
        3
    );

    // Rotation, grace, reuse detection.
    let later = now + Duration::hours(1);
    assert!(matches!(
        store
            .refresh(
                "r1",
                token("a2", later + Duration::hours(3)),
                token("r2", end),
                Duration::minutes(10),
                later
            )
            .await
            .unwrap(),
        RefreshOutcome::Rotated(_)
    ));
    assert!(
        matches!(
            store
                .refresh(
                    "r1",
                    token("a3", later + Duration::hours(3)),
                    token("r3", end),
                    Duration::minutes(10),
                    later + Duration::minutes(5)
                )
                .await
                .unwrap(),
            RefreshOutcome::GraceReuse(_)
        ),
        "the previous token works once within the grace"
    );
    assert_eq!(
        store
            .refresh(
                "r2",
                token("a4", end),
                token("r4", end),
                Duration::minutes(10),
                later + Duration::minutes(6)
            )
            .await
            .unwrap(),
        RefreshOutcome::ReuseDetected,
        "the token retired by the grace reuse is dead"
    );
    assert!(
        store.access("a3", later).await.unwrap().is_none(),
        "reuse revokes the whole family"
    );
    assert_eq!(
        store
            .refresh(
                "r3",
                token("a5", end),
                token("r5", end),
                Duration::minutes(10),
                later
            )
            .await
            .unwrap(),
        RefreshOutcome::Invalid
    );
    assert_eq!(
        store
            .refresh(
                "unknown",
                token("a6", end),
                token("r6", end),
                Duration::minutes(10),
                later
            )
            .await
            .unwrap(),
        RefreshOutcome::Invalid
    );

    // Revocation through any token of a family.
    assert!(store.create_grant(grant("dc3", "LMNP-QRST")).await.unwrap());
    let g3 = store
        .grant_by_user_code("LMNP-QRST", now)
        .await
        .unwrap()
        .unwrap();
    store
        .bind_consent(g3.id, None, &["44444444444444".to_owned()], end, now)
        .await
        .unwrap();
    store
        .issue_tokens(g3.id, token("b1", end), token("c1", end), now)
        .await
        .unwrap();
    assert!(store.revoke_family("c1", now).await.unwrap());
    assert!(store.access("b1", now).await.unwrap().is_none());
    assert!(!store.revoke_family("unknown", now).await.unwrap());

    // Guess counting per client.
    let since = now - Duration::minutes(10);
    for i in 1..=3 {
        assert_eq!(
            store
                .record_failed_guess("10.0.0.1", now, since)
                .await
                .unwrap(),
            i
        );
    }
    assert_eq!(store.failed_guesses("10.0.0.1", since).await.unwrap(), 3);
    store.refund_guess("10.0.0.1", now).await.unwrap();
    assert_eq!(
        store.failed_guesses("10.0.0.1", since).await.unwrap(),
        2,
        "one taken back"
    );
    assert_eq!(store.failed_guesses("10.0.0.2", since).await.unwrap(), 0);
    assert_eq!(
        store
            .failed_guesses("10.0.0.1", now + Duration::seconds(1))
            .await
            .unwrap(),
        0
    );

    // Enedis's quota, shared: 2 a second and 3 an hour here; a pause stops every call.
    let q = Utc
        .with_ymd_and_hms(2026, 11, 28, 10, 59, 58)
        .single()
        .unwrap_or_default();
    let take = |at| store.take_upstream_calls(at, 2, 3, 1);
    assert_eq!(take(q).await.unwrap(), UpstreamSlot::Granted(1));
    assert_eq!(take(q).await.unwrap(), UpstreamSlot::Granted(1));
    assert_eq!(take(q).await.unwrap(), UpstreamSlot::SecondFull);
    let next_second = q + Duration::seconds(1);
    assert_eq!(take(next_second).await.unwrap(), UpstreamSlot::Granted(1));
    let eleven = q + Duration::seconds(2);
    assert_eq!(
        take(next_second).await.unwrap(),
        UpstreamSlot::HourFull { next_hour: eleven },
        "three this hour"
    );
    assert_eq!(
        take(eleven).await.unwrap(),
        UpstreamSlot::Granted(1),
        "a new hour"
    );
    store
        .pause_upstream(eleven + Duration::seconds(30))
        .await
        .unwrap();
    store
        .pause_upstream(eleven + Duration::seconds(10))
        .await
        .unwrap();
    assert_eq!(
        take(eleven + Duration::seconds(5)).await.unwrap(),
        UpstreamSlot::Paused {
            until: eleven + Duration::seconds(30)
        },
        "the later pause wins"
    );
    assert_eq!(
        take(eleven + Duration::seconds(30)).await.unwrap(),
        UpstreamSlot::Granted(1)
    );
    // Several at once: no more than the second has left, nor than the hour has.
    let noon = eleven + Duration::hours(1);
    assert_eq!(
        store.take_upstream_calls(noon, 2, 3, 5).await.unwrap(),
        UpstreamSlot::Granted(2)
    );
    assert_eq!(
        store
            .take_upstream_calls(noon + Duration::seconds(1), 100, 3, 5)
            .await
            .unwrap(),
        UpstreamSlot::Granted(1)
    );

    // What the metrics count: nothing waits any more, and no family is alive (the first was
    // revoked by the reuse, "c1"'s through its token).
    let (waiting, live) = store.live_counts(now).await.unwrap();
    assert_eq!((waiting, live), (0, 0));

    // What the operator sees and does: every family, by meter; revoking by id and by meter.
    let all = store.families(None).await.unwrap();
    assert!(all.len() >= 2, "{all:?}");
    assert!(all.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    let first = store.families(Some("11111111111111")).await.unwrap();
    assert_eq!(first.len(), 1);
    assert!(first[0].meters.iter().any(|m| m == "11111111111111"));
    assert!(first[0].revoked_at.is_some() && first[0].tokens_until.is_some());
    assert_eq!(
        store.revoke_meter("11111111111111", now).await.unwrap(),
        0,
        "already revoked"
    );
    assert!(store.create_grant(grant("dc9", "WXYZ-WXYZ")).await.unwrap());
    let g9 = store
        .grant_by_user_code("WXYZ-WXYZ", now)
        .await
        .unwrap()
        .unwrap();
    store
        .bind_consent(g9.id, None, &["55555555555555".to_owned()], end, now)
        .await
        .unwrap();
    store
        .issue_tokens(g9.id, token("x1", end), token("y1", end), now)
        .await
        .unwrap();
    let fifth = store.families(Some("55555555555555")).await.unwrap();
    assert_eq!(fifth.len(), 1);
    assert!(fifth[0].revoked_at.is_none());
    assert_eq!(store.live_counts(now).await.unwrap().1, 1);
    assert_eq!(store.revoke_meter("55555555555555", now).await.unwrap(), 1);
    assert!(store.access("x1", now).await.unwrap().is_none());
    assert!(!store.revoke_family_id(fifth[0].id, now).await.unwrap());
    assert!(!store.revoke_family_id(999_999, now).await.unwrap());
    let q = store.quota_state(q).await.unwrap();
    assert!(q.second <= 2 && q.hour <= 3, "{q:?}");

    // Purging keeps what still works.
    store.purge_expired(now + Duration::days(2)).await.unwrap();
    assert!(
        store.grant_by_device_code("dc1").await.unwrap().is_some(),
        "consumed grants stay"
    );
}
