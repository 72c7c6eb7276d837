//! What the backup and crash tests share: a `folio serve` on a data directory the test
//! keeps (so it can be killed and started again on it, or backed up), and uploaders that
//! record every segment the server acknowledged.
// Each test binary includes this module and uses only part of it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use folio_server::client::VaultClient;
use folio_shared::keys::{AccountIdentity, KeyEpoch, VaultIdentity};
use folio_shared::record::{Entry, EntryId, Op, Source};
use folio_shared::vault::{Sealer, VaultId};
use serde_json::json;

use crate::common::FOLIO;

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A `folio serve` child process on a data directory the caller owns. Dropping it kills
/// the process.
pub struct Serving {
    child: Child,
    pub url: String,
}

impl Serving {
    /// Starts `folio serve` on `data_dir` at `port` (its public URL `http://localhost:PORT`)
    /// and waits until it answers `/healthz`. It trusts `X-Forwarded-For`, so a test can give
    /// each link open its own client address and stay under the manifest's rate limit.
    pub fn start(data_dir: &Path, port: u16) -> Serving {
        let url = format!("http://localhost:{port}");
        let child = Command::new(FOLIO)
            .arg("serve")
            .env("FOLIO_LISTEN", format!("127.0.0.1:{port}"))
            .env("FOLIO_DATA_DIR", data_dir)
            .env("FOLIO_PUBLIC_URL", &url)
            .env("FOLIO_TRUST_FORWARDED_FOR", "true")
            .env_remove("FOLIO_DATABASE_URL")
            .env_remove("FOLIO_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("folio starts");
        let deadline = Instant::now() + Duration::from_secs(30);
        while !healthy(port) {
            assert!(
                Instant::now() < deadline,
                "folio did not answer within 30 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Serving { child, url }
    }

    /// SIGKILL (what `Child::kill` sends on Unix): no graceful stop, no checkpoint, no
    /// flush; whatever the process had not handed to the kernel is lost.
    pub fn kill(mut self) {
        self.child.kill().expect("the server is killed");
        self.child.wait().expect("the server is reaped");
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn healthy(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_ok_and(|mut s| {
        let _ = write!(
            s,
            "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        );
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer);
        answer.starts_with("HTTP/1.1 200")
    })
}

/// The device token of a profile `folio account create` wrote.
pub fn device_token(profile: &Path) -> String {
    let profile: serde_json::Value =
        serde_json::from_slice(&std::fs::read(profile).expect("the profile")).unwrap();
    profile["device"]["token"]
        .as_str()
        .expect("a device token")
        .to_owned()
}

/// A record this test made through the API (no member list, so uploads need no signature),
/// and the sealer for it.
pub struct TestVault {
    pub id: VaultId,
    pub identity: VaultIdentity,
}

impl TestVault {
    pub async fn create(client: &VaultClient) -> TestVault {
        let id = VaultId(uuid::Uuid::new_v4());
        let identity = VaultIdentity::generate(KeyEpoch::FIRST);
        // The server keeps the wrapped key without opening it; whose key wraps it does not
        // matter to these tests.
        let owner = AccountIdentity::generate();
        client
            .create_vault(id, &identity, &identity.wrap_to(&owner.recipient()))
            .await
            .expect("a vault");
        TestVault { id, identity }
    }

    pub fn sealer(&self) -> Sealer {
        Sealer::for_identity(self.id, &self.identity)
    }
}

/// An upload the server answered with a 2xx.
#[derive(Debug, Clone)]
pub struct Acked {
    pub vault: VaultId,
    pub key: String,
    pub seq: i64,
    pub bytes: Vec<u8>,
    /// When the answer arrived.
    pub at: Instant,
}

pub type AckLog = Arc<Mutex<Vec<Acked>>>;

/// One small entry, different every time (about 2 KB sealed).
fn entry(name: &str, n: usize) -> Entry {
    let id = format!("Observation/{name}-{n}");
    Entry {
        id: EntryId(id),
        op: Op::Put {
            resource: json!({
                "resourceType": "Observation", "id": format!("{name}-{n}"), "status": "final",
                "code": {"text": format!("marker {name} {n}")},
                "note": [{"text": uuid::Uuid::new_v4().to_string().repeat(40)}],
            }),
            source: Source {
                provider: Some("Durability test".into()),
                retrieved_at: Utc::now(),
                ..Source::default()
            },
        },
        at: Utc::now(),
    }
}

/// Uploads segments to `vault` one after another until `stop`, recording each
/// acknowledged one in `acked`. Failures (the server killed, refusing connections) are
/// not acknowledgements; the uploader pauses briefly and goes on with a new key.
pub fn spawn_uploader(
    client: VaultClient,
    vault: &TestVault,
    name: String,
    stop: Arc<AtomicBool>,
    acked: AckLog,
) -> tokio::task::JoinHandle<usize> {
    let sealer = vault.sealer();
    let vault = vault.id;
    tokio::spawn(async move {
        let mut n = 0;
        while !stop.load(Ordering::Relaxed) {
            let segment = sealer.seal(&[entry(&name, n)]).expect("sealed").remove(0);
            let key = format!("{name}-{n}");
            n += 1;
            match client.upload(vault, &key, &segment).await {
                Ok(uploaded) => {
                    assert!(!uploaded.replayed, "{key} was new");
                    acked.lock().unwrap().push(Acked {
                        vault,
                        key,
                        seq: uploaded.seq,
                        bytes: segment.as_bytes().to_vec(),
                        at: Instant::now(),
                    });
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
        n
    })
}

/// Every segment of `vault` the server now serves, by seq.
pub async fn stored_segments(client: &VaultClient, vault: VaultId) -> BTreeMap<i64, Vec<u8>> {
    let (segments, _) = client.all_segments(vault).await.expect("the log");
    segments
        .into_iter()
        .map(|(seq, segment)| (seq as i64, segment.as_bytes().to_vec()))
        .collect()
}

/// Checks that `stored` is a whole log, seqs 1..=n without a gap, and that each of `acked`
/// (of this vault) is in it under its seq with its bytes. Returns n.
pub fn check_log(stored: &BTreeMap<i64, Vec<u8>>, acked: &[&Acked]) -> i64 {
    let n = stored.len() as i64;
    assert!(
        stored.keys().copied().eq(1..=n),
        "the log's seqs run 1..={n} without a gap: {:?}",
        stored.keys().collect::<Vec<_>>()
    );
    let mut seqs = std::collections::HashSet::new();
    for upload in acked {
        assert!(
            seqs.insert(upload.seq),
            "seq {} was acknowledged twice (again for {})",
            upload.seq,
            upload.key
        );
        let found = stored.get(&upload.seq).unwrap_or_else(|| {
            panic!(
                "acknowledged upload {} (seq {}) is missing; the log ends at {n}",
                upload.key, upload.seq
            )
        });
        assert!(
            *found == upload.bytes,
            "seq {} holds other bytes than acknowledged upload {}",
            upload.seq,
            upload.key
        );
    }
    n
}
