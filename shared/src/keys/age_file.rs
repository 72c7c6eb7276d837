//! The one place this crate calls age, so that every caller sees age's failures sorted
//! into the three outcomes that matter to a user: wrong key, damaged, or cut short.

use std::io::{ErrorKind, Read, Write};

use age::DecryptError;
use age::x25519::{Identity, Recipient};

/// Why an age file did not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AgeFailure {
    /// No recipient stanza in the header could be unwrapped with the identity given.
    ///
    /// age cannot tell a stanza for someone else from a damaged stanza for us: X25519
    /// stanzas are anonymous by design. Callers that can know which key ought to match
    /// (segments carry a recipient fingerprint) refine this into tampering.
    NoMatchingKey,
    /// The header MAC or a payload chunk failed authentication, or the header is not
    /// well-formed age.
    Tampered,
    /// The file ends before its final chunk.
    Truncated,
}

/// Encrypts `plaintext` to `recipient` as a binary age file appended to `out`.
pub(crate) fn seal(recipient: &Recipient, plaintext: &[u8], out: &mut Vec<u8>) {
    let encryptor = age::Encryptor::with_recipients(std::iter::once(recipient as _))
        .expect("an X25519 recipient always wraps a file key");
    // Writing into a Vec cannot fail, so neither can the age stream on top of it.
    let mut writer = encryptor
        .wrap_output(out)
        .expect("writing to a Vec is infallible");
    writer
        .write_all(plaintext)
        .expect("writing to a Vec is infallible");
    writer.finish().expect("writing to a Vec is infallible");
}

/// Decrypts a binary age file with any of `identities`.
pub(crate) fn open<'a>(
    identities: impl Iterator<Item = &'a Identity>,
    file: &[u8],
) -> Result<Vec<u8>, AgeFailure> {
    let decryptor = age::Decryptor::new_buffered(file).map_err(classify)?;
    let mut reader = decryptor
        .decrypt(identities.map(|identity| identity as &dyn age::Identity))
        .map_err(classify)?;
    let mut plaintext = Vec::with_capacity(file.len());
    reader
        .read_to_end(&mut plaintext)
        .map_err(|error| classify_io(error.kind()))?;
    Ok(plaintext)
}

fn classify(error: DecryptError) -> AgeFailure {
    match error {
        DecryptError::NoMatchingKeys => AgeFailure::NoMatchingKey,
        DecryptError::Io(error) => classify_io(error.kind()),
        // A header that does not parse, a bad MAC, an unknown age version (impossible for
        // a file we wrote) or scrypt stanzas (we never write them): all mean the bytes are
        // not what a Folio client sealed.
        _ => AgeFailure::Tampered,
    }
}

fn classify_io(kind: ErrorKind) -> AgeFailure {
    // age's stream reader reports a missing final chunk as UnexpectedEof; a chunk that
    // fails authentication (including one cut mid-way) as InvalidData.
    if kind == ErrorKind::UnexpectedEof {
        AgeFailure::Truncated
    } else {
        AgeFailure::Tampered
    }
}
