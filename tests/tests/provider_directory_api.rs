//! The provider directory as the connect page fetches it: `/providers/directory.json`
//! (Trunk copies `public/providers` into the app), sent gzipped to a browser that accepts
//! gzip, from the `.gz` beside it, and whole to one that does not. The engine plays no part,
//! so this runs on SQLite only.

use std::io::Read as _;
use std::path::Path;

use folio_tests::{Engine, TestServer};
use reqwest::StatusCode;

const PATH: &str = "/providers/directory.json";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_directory_is_served_gzipped_to_browsers_that_accept_it() {
    let public = Path::new(env!("CARGO_MANIFEST_DIR")).join("../public/providers");
    let json = std::fs::read(public.join("directory.json")).expect("the committed directory");
    let gz = std::fs::read(public.join("directory.json.gz")).expect("its gzip");
    // An app folder as Trunk builds it, with only what this test reads.
    let app = tempfile::tempdir().unwrap();
    let providers = app.path().join("providers");
    std::fs::create_dir_all(&providers).unwrap();
    std::fs::write(providers.join("directory.json"), &json).unwrap();
    std::fs::write(providers.join("directory.json.gz"), &gz).unwrap();
    let app_dir = app.path().to_path_buf();
    let server = TestServer::start_with(Engine::Sqlite, |c| c.app_dir = app_dir).await;
    // reqwest is built without gzip here, so it neither asks for it nor unpacks it.
    let http = reqwest::Client::new();

    let response = http
        .get(server.url(PATH))
        .header("accept-encoding", "gzip, deflate, br")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(headers["content-encoding"], "gzip");
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["vary"], "accept-encoding");
    // Not content-hashed: revalidated, so a new directory reaches the page.
    assert_eq!(headers["cache-control"], "no-cache");
    let body = response.bytes().await.unwrap();
    assert_eq!(body.len(), gz.len(), "the gzip is sent as it is");
    assert!(
        body.len() * 2 < json.len(),
        "{} bytes for {}",
        body.len(),
        json.len()
    );
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&body[..])
        .read_to_end(&mut unzipped)
        .unwrap();
    assert!(unzipped == json, "the gzip is the directory");

    let plain = http.get(server.url(PATH)).send().await.unwrap();
    assert_eq!(plain.status(), StatusCode::OK);
    assert!(plain.headers().get("content-encoding").is_none());
    assert_eq!(plain.bytes().await.unwrap(), json);
    server.stop().await;
}
