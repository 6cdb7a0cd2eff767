//! The store contract, on SQLite in memory and in a file.

use linky_proxy_sqlite::SqliteStore;

#[tokio::test]
async fn story_in_memory() {
    linky_proxy_store::story::run(&SqliteStore::in_memory().unwrap()).await;
}

#[tokio::test]
async fn story_in_a_file_and_migrations_are_idempotent() {
    let dir = std::env::temp_dir().join(format!("linky-proxy-story-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("proxy.db");
    let _ = std::fs::remove_file(&path);
    linky_proxy_store::story::run(&SqliteStore::open(&path).unwrap()).await;
    // Reopening runs no migration twice and keeps the data.
    let again = SqliteStore::from_url(&format!("sqlite://{}", path.display())).unwrap();
    use linky_proxy_store::ProxyStore;
    assert!(again.grant_by_device_code("dc1").await.unwrap().is_some());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600,
            "owner-only file"
        );
    }
    assert!(SqliteStore::from_url("postgres://x").is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}
