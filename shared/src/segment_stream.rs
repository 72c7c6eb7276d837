//! The wire format of a run of sealed segments: `GET …/segments` answers with it and a
//! compaction uploads one.
//!
//! A stream is a sequence of frames, each `seq: u64 BE, length: u32 BE, bytes`. Binary
//! framing rather than JSON keeps ciphertext from growing by a third in base64 and lets both
//! sides process segments one at a time as they arrive.

/// The media type of a segment stream.
pub const MEDIA_TYPE: &str = "application/vnd.folio.segments";

const FRAME_HEAD: usize = 12;

/// One segment in a stream: its sequence number and its sealed bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentFrame {
    pub seq: u64,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("the segment stream ends inside a frame at byte {offset}")]
    Truncated { offset: usize },
    #[error("a frame of {length} bytes at byte {offset} is larger than the limit of {limit}")]
    TooLarge {
        offset: usize,
        length: usize,
        limit: usize,
    },
}

impl SegmentFrame {
    /// Appends this frame's encoding to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.seq.to_be_bytes());
        let length = u32::try_from(self.bytes.len()).expect("a segment is smaller than 4 GiB");
        out.extend_from_slice(&length.to_be_bytes());
        out.extend_from_slice(&self.bytes);
    }

    /// The frame header for a segment of `length` bytes, for writers that stream the body.
    pub fn head(seq: u64, length: u32) -> [u8; FRAME_HEAD] {
        let mut head = [0u8; FRAME_HEAD];
        head[..8].copy_from_slice(&seq.to_be_bytes());
        head[8..].copy_from_slice(&length.to_be_bytes());
        head
    }
}

/// Splits a complete stream into frames, refusing any frame over `max_frame` bytes.
pub fn decode_frames(mut input: &[u8], max_frame: usize) -> Result<Vec<SegmentFrame>, FrameError> {
    let total = input.len();
    let mut frames = Vec::new();
    while !input.is_empty() {
        let offset = total - input.len();
        if input.len() < FRAME_HEAD {
            return Err(FrameError::Truncated { offset });
        }
        let seq = u64::from_be_bytes(input[..8].try_into().expect("8 bytes"));
        let length = u32::from_be_bytes(input[8..12].try_into().expect("4 bytes")) as usize;
        if length > max_frame {
            return Err(FrameError::TooLarge {
                offset,
                length,
                limit: max_frame,
            });
        }
        let rest = &input[FRAME_HEAD..];
        if rest.len() < length {
            return Err(FrameError::Truncated { offset });
        }
        frames.push(SegmentFrame {
            seq,
            bytes: rest[..length].to_vec(),
        });
        input = &rest[length..];
    }
    Ok(frames)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_truncation_is_caught() {
        let frames = vec![
            SegmentFrame {
                seq: 1,
                bytes: b"one".to_vec(),
            },
            SegmentFrame {
                seq: 7,
                bytes: vec![],
            },
            SegmentFrame {
                seq: u64::MAX,
                bytes: vec![9; 300],
            },
        ];
        let mut encoded = Vec::new();
        for frame in &frames {
            frame.encode_into(&mut encoded);
        }
        assert_eq!(decode_frames(&encoded, 1024).unwrap(), frames);
        for cut in 1..encoded.len() {
            if let Ok(decoded) = decode_frames(&encoded[..cut], 1024) {
                assert!(decoded.len() < frames.len(), "a cut at {cut} decoded whole");
                assert!(frames.starts_with(&decoded));
            }
        }
        assert!(matches!(
            decode_frames(&encoded, 100),
            Err(FrameError::TooLarge { length: 300, .. })
        ));
    }
}
