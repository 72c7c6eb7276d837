//! How fast a vault opens compared with parsing the same record as plain JSON, and how much
//! it stores per byte of that JSON. Run with `cargo bench -p folio-shared --bench vault`.
//!
//! Before criterion's own measurements it prints the two figures the format is held to:
//! open / parse (goal ≤ 2×) and stored bytes / plaintext bytes (goal < 0.35), and the
//! LZ4-versus-DEFLATE comparison behind the codec choice.

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    native::main();
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::hint::black_box;
    use std::io::{Read, Write};
    use std::path::{Path, PathBuf};
    use std::time::{Duration, Instant};

    use chrono::{DateTime, Utc};
    use criterion::Criterion;
    use folio_shared::care::Role;
    use folio_shared::keys::{AccountIdentity, KeyEpoch, SigningKey, VaultIdentity};
    use folio_shared::record::{Entry, EntryId, Op, Source};
    use folio_shared::roster::{
        Member, Roster, RosterAppend, RosterChange, WriteKind, WriteSignature, WriteStatement,
        sign_write, vouch_for_segment,
    };
    use folio_shared::vault::{SealedSegment, Sealer, VaultId, VaultKeyring};
    use serde_json::Value;

    struct Fixture {
        name: String,
        bundle: Vec<u8>,
        entries: Vec<Entry>,
        sealer: Sealer,
        keyring: VaultKeyring,
        segments: Vec<SealedSegment>,
    }

    fn largest_bundle() -> PathBuf {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/fhir-r4/synthea");
        std::fs::read_dir(&dir)
            .unwrap_or_else(|error| panic!("reading {}: {error}", dir.display()))
            .map(|entry| entry.expect("directory entry").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
            .max_by_key(|path| std::fs::metadata(path).expect("metadata").len())
            .expect("a Synthea bundle")
    }

    impl Fixture {
        fn load() -> Self {
            let path = largest_bundle();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let bundle = std::fs::read(&path).expect("reading the bundle");
            let parsed: Value = serde_json::from_slice(&bundle).expect("bundle JSON");
            let at: DateTime<Utc> = "2026-11-22T03:17:00Z".parse().unwrap();
            let source = Source {
                provider: Some("Synthea".into()),
                file: Some(name.clone()),
                retrieved_at: at,
                ..Source::default()
            };
            let entries = parsed["entry"]
                .as_array()
                .expect("bundle entries")
                .iter()
                .map(|entry| {
                    let resource = entry["resource"].clone();
                    let id = format!(
                        "{}/{}",
                        resource["resourceType"].as_str().unwrap(),
                        resource["id"].as_str().unwrap()
                    );
                    Entry {
                        id: EntryId(id),
                        op: Op::Put {
                            resource,
                            source: source.clone(),
                        },
                        at,
                    }
                })
                .collect::<Vec<_>>();
            let vault = VaultId::generate();
            let identity = VaultIdentity::generate(KeyEpoch::FIRST);
            let sealer = Sealer::for_identity(vault, &identity);
            let keyring = VaultKeyring::new(vault, identity);
            let segments = sealer.seal(&entries).expect("sealing");
            Self {
                name,
                bundle,
                entries,
                sealer,
                keyring,
                segments,
            }
        }

        /// The entries' resources as compact JSON: what a vault actually has to store.
        fn compact_json(&self) -> Vec<u8> {
            let resources: Vec<&Value> = self
                .entries
                .iter()
                .map(|entry| match &entry.op {
                    Op::Put { resource, .. } => resource,
                    Op::Delete => unreachable!(),
                })
                .collect();
            serde_json::to_vec(&resources).unwrap()
        }
    }

    /// Median wall time of `runs` calls.
    fn median(runs: usize, mut f: impl FnMut()) -> Duration {
        let mut times: Vec<Duration> = (0..runs)
            .map(|_| {
                let start = Instant::now();
                f();
                start.elapsed()
            })
            .collect();
        times.sort();
        times[runs / 2]
    }

    fn ms(d: Duration) -> f64 {
        d.as_secs_f64() * 1e3
    }

    /// A member list naming the fixture's owner and key, and the owner's signature over
    /// each of its segments.
    fn signed_log(fixture: &Fixture) -> (Roster, Vec<WriteSignature>) {
        let owner = SigningKey::generate();
        let vault = fixture.keyring.vault_id();
        let current = fixture.keyring.current();
        let member = Member {
            account: uuid::Uuid::new_v4(),
            name: "Owner".into(),
            role: Role::Owner,
            signing_key: owner.public_key(),
            recipient: AccountIdentity::generate().recipient(),
        };
        let mut append = RosterAppend::genesis(vault, &owner, member, Utc::now()).unwrap();
        append
            .push(
                RosterChange::NewEpoch {
                    epoch: current.epoch(),
                    vault_recipient: current.recipient(),
                },
                Utc::now(),
            )
            .unwrap();
        let (roster, _) = append.finish();
        let signatures = fixture
            .segments
            .iter()
            .map(|segment| {
                let statement = WriteStatement::for_ciphertext(
                    vault,
                    segment.epoch(),
                    WriteKind::Segment,
                    segment.as_bytes(),
                );
                sign_write(&owner, &statement)
            })
            .collect();
        (roster, signatures)
    }

    fn report(fixture: &Fixture) {
        const RUNS: usize = 31;
        let stored: usize = fixture.segments.iter().map(SealedSegment::len).sum();
        let compact = fixture.compact_json();
        let parse = median(RUNS, || {
            black_box(serde_json::from_slice::<Value>(black_box(&fixture.bundle)).unwrap());
        });
        let open = median(RUNS, || {
            black_box(fixture.keyring.open(black_box(&fixture.segments)));
        });
        let seal = median(RUNS, || {
            black_box(fixture.sealer.seal(black_box(&fixture.entries)).unwrap());
        });
        println!(
            "vault: {} ({} bytes, {} entries; {} bytes as compact JSON)",
            fixture.name,
            fixture.bundle.len(),
            fixture.entries.len(),
            compact.len()
        );
        println!(
            "vault: {} segments, {} bytes stored: {:.3} of the bundle's bytes, {:.3} of compact JSON",
            fixture.segments.len(),
            stored,
            stored as f64 / fixture.bundle.len() as f64,
            stored as f64 / compact.len() as f64
        );
        println!(
            "vault: parse {:.2} ms, open {:.2} ms, seal {:.2} ms; open / parse = {:.2}",
            ms(parse),
            ms(open),
            ms(seal),
            open.as_secs_f64() / parse.as_secs_f64()
        );
        // Signed writes: the same open with every segment's signature checked against a
        // member list (one SHA-256 of the segment and one Ed25519 verification each).
        let (roster, signatures) = signed_log(fixture);
        let vouched = median(RUNS, || {
            black_box(fixture.keyring.open_vouched(
                black_box(&fixture.segments),
                |position, segment| {
                    vouch_for_segment(&roster, segment, Some(&signatures[position])).map(drop)
                },
            ));
        });
        println!(
            "vault: open with every signature checked {:.2} ms (+{:.2} ms); open / parse = {:.2}",
            ms(vouched),
            ms(vouched.saturating_sub(open)),
            vouched.as_secs_f64() / parse.as_secs_f64()
        );
        // The bundle is pretty-printed; parsing its compact form is the stricter yardstick.
        let parse_compact = median(RUNS, || {
            black_box(serde_json::from_slice::<Value>(black_box(&compact)).unwrap());
        });
        println!(
            "vault: parse of the same resources as compact JSON {:.2} ms; open / that = {:.2}",
            ms(parse_compact),
            open.as_secs_f64() / parse_compact.as_secs_f64()
        );
        // Many small segments: the cost of one age operation and one batch per segment.
        let small = fixture
            .sealer
            .clone()
            .with_segment_limit(16 << 10)
            .seal(&fixture.entries)
            .unwrap();
        let open_small = median(RUNS, || {
            black_box(fixture.keyring.open(black_box(&small)));
        });
        println!(
            "vault: with 16 KiB segments: {} segments, open {:.2} ms; open / parse = {:.2}",
            small.len(),
            ms(open_small),
            open_small.as_secs_f64() / parse.as_secs_f64()
        );

        // The codec choice: block LZ4 against DEFLATE (miniz_oxide, through flate2), on the
        // same compact JSON.
        let lz4 = lz4_flex::block::compress(&compact);
        let lz4_in = median(RUNS, || {
            black_box(lz4_flex::block::compress(black_box(&compact)));
        });
        let lz4_out = median(RUNS, || {
            black_box(lz4_flex::block::decompress(black_box(&lz4), compact.len()).unwrap());
        });
        for level in [1, 6] {
            let deflated = deflate(&compact, level);
            let deflate_in = median(RUNS, || {
                black_box(deflate(black_box(&compact), level));
            });
            let deflate_out = median(RUNS, || {
                black_box(inflate(black_box(&deflated), compact.len()));
            });
            println!(
                "codec: DEFLATE level {level}: {:.3} of compact JSON, compress {:.2} ms, decompress {:.2} ms",
                deflated.len() as f64 / compact.len() as f64,
                ms(deflate_in),
                ms(deflate_out)
            );
        }
        println!(
            "codec: LZ4 block: {:.3} of compact JSON, compress {:.2} ms, decompress {:.2} ms",
            lz4.len() as f64 / compact.len() as f64,
            ms(lz4_in),
            ms(lz4_out)
        );
    }

    fn deflate(data: &[u8], level: u32) -> Vec<u8> {
        let mut encoder =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(level));
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn inflate(data: &[u8], size: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(size);
        flate2::read::DeflateDecoder::new(data)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    pub fn main() {
        let fixture = Fixture::load();
        report(&fixture);
        let mut criterion = Criterion::default().sample_size(20).configure_from_args();
        let mut group = criterion.benchmark_group("vault");
        group.bench_function("parse bundle JSON", |b| {
            b.iter(|| serde_json::from_slice::<Value>(black_box(&fixture.bundle)).unwrap())
        });
        group.bench_function("open", |b| {
            b.iter(|| fixture.keyring.open(black_box(&fixture.segments)))
        });
        group.bench_function("seal", |b| {
            b.iter(|| fixture.sealer.seal(black_box(&fixture.entries)).unwrap())
        });
        group.finish();
        criterion.final_summary();
    }
}
