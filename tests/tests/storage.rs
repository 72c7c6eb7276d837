//! The storage layer on both engines: migrations at start, the engine's settings, and a
//! round trip through the schema.

use folio_server::storage::Storage;
use folio_server::storage::entity::account;
use folio_tests::{Engine, TestServer, on_every_engine};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set, Statement};

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
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "PRAGMA journal_mode",
            ))
            .await
            .unwrap()
            .unwrap();
        let mode: String = row.try_get_by_index(0).unwrap();
        assert_eq!(mode, "wal", "SQLite must run in WAL mode");
    }
    server.stop().await;
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
