//! The storage layer on both engines: migrations at start, the engine's settings, and a
//! round trip through the schema.

use folio_server::storage::Storage;
use folio_server::storage::entity::account;
use folio_tests::{Engine, TestServer, on_every_engine};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, Set, Statement, TryGetable,
};

on_every_engine!(migrations_run_and_rows_round_trip, reopening_is_idempotent);

async fn migrations_run_and_rows_round_trip(engine: Engine) {
    let server = TestServer::start(engine).await;
    let db = server.server().storage().db();
    let id = uuid::Uuid::new_v4();
    let now = chrono::Utc::now();
    account::ActiveModel {
        id: Set(id),
        recipient: Set(None),
        created_at: Set(now),
        signing_key: Set(None),
        wrapped_signing_key: Set(None),
    }
    .insert(db)
    .await
    .expect("insert an account");
    let found = account::Entity::find_by_id(id)
        .one(db)
        .await
        .unwrap()
        .expect("the account");
    assert_eq!(found.id, id);
    assert_eq!(found.created_at.timestamp_millis(), now.timestamp_millis());

    if engine == Engine::Sqlite {
        let mode: String = pragma(db, "journal_mode").await;
        assert_eq!(mode, "wal", "SQLite must run in WAL mode");
        let page_size: i64 = pragma(db, "page_size").await;
        assert_eq!(
            page_size,
            16 * 1024,
            "a new SQLite database has 16 KiB pages"
        );
    }
    server.stop().await;
}

/// The value of a SQLite pragma.
async fn pragma<T: TryGetable>(db: &DatabaseConnection, name: &str) -> T {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("PRAGMA {name}"),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index(0).unwrap()
}

async fn reopening_is_idempotent(engine: Engine) {
    let server = TestServer::start(engine).await;
    let url = server.database_url.clone();
    // A second server on the same database finds every migration applied and starts.
    let second = Storage::open(&url)
        .await
        .expect("migrations are idempotent");
    second.ping().await.unwrap();
    second.close().await.unwrap();
    server.stop().await;
}
