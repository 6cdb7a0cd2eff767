//! The PostgreSQL backend against a real PostgreSQL server (the throwaway cluster `.ci/run`
//! starts, at `LINKY_TEST_POSTGRES`): the contract story, migrations, and two instances racing
//! on the same refresh token, `autorisation_id`, user code and guess counter, which must give
//! exactly the answers one instance would.

use chrono::{Duration, TimeZone, Utc};
use linky_proxy_postgres::PostgresStore;
use linky_proxy_store::{
    story, BindOutcome, IssueOutcome, NewGrant, NewToken, ProxyStore, RefreshOutcome,
};

/// The server's URL; the tests cannot run without one.
fn server() -> String {
    std::env::var("LINKY_TEST_POSTGRES").unwrap_or_else(|_| {
        panic!(
            "PostgreSQL tests need a server: run `.ci/run` (it starts a throwaway cluster), or start one with `.ci/postgres start <dir>` and export LINKY_TEST_POSTGRES=<the URL it prints>"
        )
    })
}

/// A new, empty database on the server; its URL.
async fn fresh_database() -> String {
    linky_proxy_postgres::create_test_database(&server())
        .await
        .expect("the test server makes a database")
}

#[tokio::test]
async fn the_contract_story() {
    let store = PostgresStore::connect(&fresh_database().await)
        .await
        .unwrap();
    story::run(&store).await;
}

#[tokio::test]
async fn migrations_run_once_and_a_newer_schema_is_refused() {
    let url = fresh_database().await;
    let (a, b) = tokio::join!(PostgresStore::connect(&url), PostgresStore::connect(&url));
    let (a, _b) = (a.unwrap(), b.unwrap());
    assert_eq!(
        a.database_version().await.unwrap(),
        PostgresStore::schema_version()
    );
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .batch_execute("INSERT INTO linky_proxy_schema (version, applied_at) VALUES (99, 0)")
        .await
        .unwrap();
    let refused = PostgresStore::connect(&url)
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(refused.contains("newer than this linky-proxy"), "{refused}");
    let wrong = PostgresStore::connect("postgres://linky:s3cret@127.0.0.1:1/nothing")
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(!wrong.contains("s3cret"), "{wrong}");
}

fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap()
}

fn token(hash: &str) -> NewToken {
    NewToken {
        hash: hash.to_owned(),
        expires_at: t0() + Duration::days(30),
    }
}

fn new_grant(code: &str, user: &str) -> NewGrant {
    NewGrant {
        device_code_hash: code.to_owned(),
        user_code: user.to_owned(),
        client_id: "client".to_owned(),
        created_at: t0(),
        expires_at: t0() + Duration::minutes(10),
        interval_seconds: 5,
        client_address: None,
    }
}

/// Two instances (two pools) on one database, many requests at once on the same rows.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_racing_answer_as_one_would() {
    let url = fresh_database().await;
    let one = PostgresStore::connect(&url).await.unwrap();
    let two = PostgresStore::connect(&url).await.unwrap();
    let instance = |i: usize| if i % 2 == 0 { one.clone() } else { two.clone() };

    // The same user code from 16 devices at once: exactly one gets it.
    let created = futures_join(16, |i| {
        let s = instance(i);
        async move {
            s.create_grant(new_grant(&format!("device-{i}"), "ABCD-EFGH"))
                .await
                .unwrap()
        }
    })
    .await;
    assert_eq!(created.iter().filter(|c| **c).count(), 1);

    // The same autorisation_id arriving at both instances: claimed once.
    let grant = one
        .grant_by_user_code("ABCD-EFGH", t0())
        .await
        .unwrap()
        .unwrap();
    let claims = futures_join(16, |i| {
        let s = instance(i);
        async move {
            s.claim_autorisation(987_654_321, Some(grant.id), t0())
                .await
                .unwrap()
        }
    })
    .await;
    assert_eq!(claims.iter().filter(|c| **c).count(), 1);
    let bound = one
        .bind_consent(
            grant.id,
            Some(987_654_321),
            &["12345678901234".to_owned()],
            t0() + Duration::days(365),
            t0(),
        )
        .await
        .unwrap();
    assert!(matches!(bound, BindOutcome::Bound(_)));
    // Issuing twice at once (a replayed device code): one family.
    let issued = futures_join(8, |i| {
        let s = instance(i);
        async move {
            s.issue_tokens(
                grant.id,
                token(&format!("access-{i}")),
                token(&format!("refresh-{i}")),
                t0(),
            )
            .await
            .unwrap()
        }
    })
    .await;
    assert_eq!(
        issued
            .iter()
            .filter(|o| matches!(o, IssueOutcome::Issued(_)))
            .count(),
        1
    );
    let first_refresh = issued
        .iter()
        .position(|o| matches!(o, IssueOutcome::Issued(_)))
        .map(|i| format!("refresh-{i}"))
        .unwrap();

    // The same refresh token presented 12 times at once on both instances: one rotation, the
    // others within the grace (a client retrying), as in any serial order of them.
    let later = t0() + Duration::seconds(5);
    let outcomes = futures_join(12, |i| {
        let (s, old) = (instance(i), first_refresh.clone());
        async move {
            s.refresh(
                &old,
                token(&format!("a2-{i}")),
                token(&format!("r2-{i}")),
                Duration::seconds(60),
                later,
            )
            .await
            .unwrap()
        }
    })
    .await;
    let rotated = outcomes
        .iter()
        .filter(|o| matches!(o, RefreshOutcome::Rotated(_)))
        .count();
    let grace = outcomes
        .iter()
        .filter(|o| matches!(o, RefreshOutcome::GraceReuse(_)))
        .count();
    assert_eq!((rotated, grace), (1, 11), "{outcomes:?}");

    // Failed guesses from one address on both instances: counted 1 to 20, none lost.
    let mut counts = futures_join(20, |i| {
        let s = instance(i);
        async move {
            s.record_failed_guess("192.0.2.9", t0(), t0() - Duration::minutes(15))
                .await
                .unwrap()
        }
    })
    .await;
    counts.sort_unstable();
    assert_eq!(counts, (1..=20).collect::<Vec<u32>>());
}

/// Runs `n` tasks at once and gathers their results in order.
async fn futures_join<T, F, Fut>(n: usize, task: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    let handles: Vec<_> = (0..n).map(|i| tokio::spawn(task(i))).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}
