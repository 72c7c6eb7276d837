//! Fixed-window rate-limit counters kept in the database, so every server behind a load
//! balancer counts the same attempts.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement};

/// The outcome of counting one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    /// Over the limit until the window ends, this many seconds from now.
    Limited {
        retry_after_secs: u64,
    },
}

/// Counts one attempt in `bucket` and decides whether it is within `limit` per `window`.
///
/// One atomic upsert does the counting, so concurrent attempts on any number of servers
/// cannot both slip under the limit.
pub async fn hit(
    db: &DatabaseConnection,
    bucket: &str,
    limit: u32,
    window: Duration,
) -> Result<Decision, DbErr> {
    let now = Utc::now();
    let window_opened_before = now - window;
    let backend = db.get_database_backend();
    // The same statement on both engines apart from placeholders: a new or stale window
    // starts over at one hit, a live one counts up.
    let sql = match backend {
        DbBackend::Postgres => {
            "INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, 1) \
             ON CONFLICT (bucket) DO UPDATE SET \
               hits = CASE WHEN rate_limits.window_start <= $3 THEN 1 ELSE rate_limits.hits + 1 END, \
               window_start = CASE WHEN rate_limits.window_start <= $3 THEN $2 ELSE rate_limits.window_start END \
             RETURNING hits, window_start"
        }
        _ => {
            "INSERT INTO rate_limits (bucket, window_start, hits) VALUES (?1, ?2, 1) \
             ON CONFLICT (bucket) DO UPDATE SET \
               hits = CASE WHEN rate_limits.window_start <= ?3 THEN 1 ELSE rate_limits.hits + 1 END, \
               window_start = CASE WHEN rate_limits.window_start <= ?3 THEN ?2 ELSE rate_limits.window_start END \
             RETURNING hits, window_start"
        }
    };
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [bucket.into(), now.into(), window_opened_before.into()],
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("the rate-limit upsert returned no row".into()))?;
    let hits: i32 = row.try_get("", "hits")?;
    let window_start: DateTime<Utc> = row.try_get("", "window_start")?;
    if hits as i64 <= limit as i64 {
        Ok(Decision::Allowed)
    } else {
        let retry_after = (window_start + window - now).num_seconds().max(1) as u64;
        Ok(Decision::Limited {
            retry_after_secs: retry_after,
        })
    }
}
