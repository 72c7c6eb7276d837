//! What signed writes and the member list cost: signing and verifying one segment's
//! statement, hashing a 1.5 MB segment for it, and verifying a 1,000-entry member list.
//! Run with `cargo bench -p folio-shared --bench signing`.

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    native::main();
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::hint::black_box;

    use chrono::{DateTime, Duration, Utc};
    use criterion::Criterion;
    use folio_shared::care::Role;
    use folio_shared::keys::{AccountIdentity, KeyEpoch, SigningKey, VaultIdentity};
    use folio_shared::roster::{
        Member, Roster, RosterAppend, RosterChange, SignedRosterEntry, WriteKind, WriteStatement,
        sign_write, verify_write,
    };
    use folio_shared::vault::VaultId;
    use uuid::Uuid;

    const SEGMENT_BYTES: usize = 1_500_000;
    const ROSTER_ENTRIES: usize = 1_000;

    fn member(role: Role) -> (SigningKey, Member) {
        let key = SigningKey::generate();
        let member = Member {
            account: Uuid::new_v4(),
            name: "A caregiver with a name of ordinary length".into(),
            role,
            signing_key: key.public_key(),
            recipient: AccountIdentity::generate().recipient(),
        };
        (key, member)
    }

    /// A long-lived record's list: caregivers come and go (a removal every other entry)
    /// and the owner rotates the key after each removal, so the list stays short while the
    /// log grows to `ROSTER_ENTRIES`.
    fn long_roster(
        vault: VaultId,
        owner: &SigningKey,
        owner_member: Member,
    ) -> Vec<SignedRosterEntry> {
        let start: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        let mut append = RosterAppend::genesis(vault, owner, owner_member, start).unwrap();
        let mut epoch = KeyEpoch::FIRST;
        append
            .push(
                RosterChange::NewEpoch {
                    epoch,
                    vault_recipient: VaultIdentity::generate(epoch).recipient(),
                },
                start,
            )
            .unwrap();
        let mut minutes = 0;
        while append.roster().head().seq < ROSTER_ENTRIES as u64 {
            minutes += 1;
            let at = start + Duration::minutes(minutes);
            let (_, caregiver) = member(Role::Viewer);
            let account = caregiver.account;
            let changes = [
                RosterChange::AddMember(caregiver),
                RosterChange::RemoveMember { account },
                RosterChange::NewEpoch {
                    epoch: epoch.next(),
                    vault_recipient: VaultIdentity::generate(epoch.next()).recipient(),
                },
            ];
            epoch = epoch.next();
            for change in changes {
                if append.roster().head().seq < ROSTER_ENTRIES as u64 {
                    append.push(change, at).unwrap();
                }
            }
        }
        append.finish().1
    }

    pub fn main() {
        let vault = VaultId::generate();
        let (owner, owner_member) = member(Role::Owner);
        let entries = long_roster(vault, &owner, owner_member);
        assert_eq!(entries.len(), ROSTER_ENTRIES);
        let roster = Roster::verify(vault, &entries, None).unwrap();
        let epoch = roster.current_epoch().unwrap();
        let segment: Vec<u8> = (0..SEGMENT_BYTES).map(|i| (i * 31 % 251) as u8).collect();
        let statement = WriteStatement::for_ciphertext(vault, epoch, WriteKind::Segment, &segment);
        let signature = sign_write(&owner, &statement);

        let mut criterion = Criterion::default().sample_size(20).configure_from_args();
        let mut group = criterion.benchmark_group("signing");
        group.bench_function("sign a segment statement", |b| {
            b.iter(|| sign_write(black_box(&owner), black_box(&statement)))
        });
        group.bench_function("verify a segment statement", |b| {
            b.iter(|| {
                verify_write(
                    black_box(&roster),
                    black_box(&statement),
                    black_box(&signature),
                )
                .unwrap()
            })
        });
        group.bench_function("SHA-256 of a 1.5 MB segment", |b| {
            b.iter(|| {
                WriteStatement::for_ciphertext(
                    vault,
                    epoch,
                    WriteKind::Segment,
                    black_box(&segment),
                )
            })
        });
        group.bench_function("verify a 1,000-entry roster", |b| {
            b.iter(|| Roster::verify(vault, black_box(&entries), None).unwrap())
        });
        group.finish();
        criterion.final_summary();
    }
}
