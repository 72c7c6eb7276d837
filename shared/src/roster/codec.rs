//! The fixed-width, big-endian byte layout of signed statements and roster entries.
//!
//! Signed bytes are never JSON: a signature must cover exactly one byte string per
//! meaning, and a hand-written layout with no optional fields, no maps and a length only
//! on the one variable-length field (a member's name) has that property by construction.
//! A well-kept CBOR crate (`ciborium`) was considered; it does not produce canonical
//! (deterministic) CBOR by itself, so it would need the same care for less clarity.

use age::x25519;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::keys::{SigningPublicKey, VaultRecipient};

/// Appends fields to a byte string being built for signing or hashing.
#[derive(Default)]
pub(crate) struct Writer(Vec<u8>);

impl Writer {
    pub(crate) fn with_context(context: &[u8]) -> Self {
        let mut bytes = Vec::with_capacity(256);
        bytes.extend_from_slice(context);
        Self(bytes)
    }

    pub(crate) fn u8(&mut self, value: u8) -> &mut Self {
        self.0.push(value);
        self
    }

    pub(crate) fn u16(&mut self, value: u16) -> &mut Self {
        self.bytes(&value.to_be_bytes())
    }

    pub(crate) fn u32(&mut self, value: u32) -> &mut Self {
        self.bytes(&value.to_be_bytes())
    }

    pub(crate) fn u64(&mut self, value: u64) -> &mut Self {
        self.bytes(&value.to_be_bytes())
    }

    pub(crate) fn bytes(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.extend_from_slice(bytes);
        self
    }

    pub(crate) fn uuid(&mut self, id: Uuid) -> &mut Self {
        self.bytes(id.as_bytes())
    }

    /// A time as signed microseconds since 1970-01-01T00:00:00Z.
    pub(crate) fn time(&mut self, at: DateTime<Utc>) -> &mut Self {
        self.bytes(&at.timestamp_micros().to_be_bytes())
    }

    /// An X25519 public key (an account's or a vault's recipient) as its 32 raw bytes.
    pub(crate) fn recipient(&mut self, recipient: &x25519::Recipient) -> &mut Self {
        self.bytes(&recipient_bytes(recipient))
    }

    pub(crate) fn signing_key(&mut self, key: &SigningPublicKey) -> &mut Self {
        self.bytes(key.as_bytes())
    }

    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.0
    }
}

/// Reads fields back; every read fails with what was being read when the bytes run out.
pub(crate) struct Reader<'a>(&'a [u8]);

/// A field that could not be read: its name, for the error message.
pub(crate) type Short = &'static str;

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self(bytes)
    }

    pub(crate) fn take(&mut self, n: usize, what: Short) -> Result<&'a [u8], Short> {
        if self.0.len() < n {
            return Err(what);
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    pub(crate) fn array<const N: usize>(&mut self, what: Short) -> Result<[u8; N], Short> {
        Ok(self.take(N, what)?.try_into().expect("took N bytes"))
    }

    pub(crate) fn u8(&mut self, what: Short) -> Result<u8, Short> {
        Ok(self.array::<1>(what)?[0])
    }

    pub(crate) fn u16(&mut self, what: Short) -> Result<u16, Short> {
        self.array(what).map(u16::from_be_bytes)
    }

    pub(crate) fn u32(&mut self, what: Short) -> Result<u32, Short> {
        self.array(what).map(u32::from_be_bytes)
    }

    pub(crate) fn u64(&mut self, what: Short) -> Result<u64, Short> {
        self.array(what).map(u64::from_be_bytes)
    }

    pub(crate) fn uuid(&mut self, what: Short) -> Result<Uuid, Short> {
        self.array(what).map(Uuid::from_bytes)
    }

    pub(crate) fn time(&mut self, what: Short) -> Result<DateTime<Utc>, Short> {
        let micros = i64::from_be_bytes(self.array(what)?);
        DateTime::from_timestamp_micros(micros).ok_or(what)
    }

    pub(crate) fn recipient(&mut self, what: Short) -> Result<x25519::Recipient, Short> {
        recipient_from_bytes(&self.array(what)?).ok_or(what)
    }

    pub(crate) fn vault_recipient(&mut self, what: Short) -> Result<VaultRecipient, Short> {
        self.recipient(what).map(VaultRecipient)
    }

    pub(crate) fn signing_key(&mut self, what: Short) -> Result<SigningPublicKey, Short> {
        SigningPublicKey::from_bytes(&self.array(what)?).map_err(|_| what)
    }

    /// Refuses bytes after the last field, so that one meaning has one encoding.
    pub(crate) fn finish(self) -> Result<(), Short> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err("bytes after the last field")
        }
    }
}

/// age exposes a recipient only as its `age1…` Bech32 string, so the raw key goes through
/// that encoding both ways.
fn recipient_bytes(recipient: &x25519::Recipient) -> [u8; 32] {
    let text = recipient.to_string();
    let (_, bytes) = bech32::decode(&text).expect("age writes valid Bech32");
    bytes.try_into().expect("an X25519 public key is 32 bytes")
}

fn recipient_from_bytes(bytes: &[u8; 32]) -> Option<x25519::Recipient> {
    let hrp = bech32::Hrp::parse("age").expect("a valid Bech32 HRP");
    let text = bech32::encode_lower::<bech32::Bech32>(hrp, bytes).ok()?;
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::AccountIdentity;

    #[test]
    fn recipients_survive_their_raw_bytes() {
        let recipient = AccountIdentity::generate().recipient();
        let mut writer = Writer::default();
        writer.recipient(&recipient.0);
        let bytes = writer.into_bytes();
        assert_eq!(bytes.len(), 32);
        let mut reader = Reader::new(&bytes);
        assert_eq!(reader.recipient("recipient").unwrap(), recipient.0);
        reader.finish().unwrap();
    }
}
