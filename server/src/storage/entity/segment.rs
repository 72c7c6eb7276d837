use sea_orm::entity::prelude::*;

/// One sealed segment of a vault's log. `ciphertext` is a `SealedSegment`'s bytes.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "segments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub vault_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    pub epoch: i32,
    pub upload_key: String,
    pub digest: Vec<u8>,
    pub size: i64,
    pub ciphertext: Vec<u8>,
    pub created_at: DateTimeUtc,
    /// The account that uploaded it (or ran the compaction that wrote it); none for
    /// segments stored before uploaders were recorded.
    pub uploaded_by: Option<Uuid>,
    /// The writer's signature (`signer ‖ signature`, 96 bytes) over the vault, epoch and
    /// hash of `ciphertext`; none for segments written before signing.
    pub write_signature: Option<Vec<u8>>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
