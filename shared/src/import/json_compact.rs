//! A JSON text without its insignificant whitespace, for the passes over a large file
//! ([`super::json_outline`], [`super::json_writer`]): exports are mostly pretty-printed
//! (six bytes in ten of a Synthea Bundle are indentation), and `serde_json` steps over
//! whitespace a byte at a time, in each pass. Removing it once, in runs, costs less than
//! either pass spends on it.
//!
//! Only whitespace outside strings goes, and never where removing it could join two
//! tokens into one (`1 2` must not become `12`): a valid text stays the same JSON value,
//! and an invalid one stays invalid. Its error would be reported at another line and
//! column, so a caller that fails to read the compact text reads the original for the
//! error (see [`super::json_outline::TextOutline`]).

/// `text` without insignificant whitespace, or `None` when it has too little to be worth
/// a copy, or a string that does not end (the original's error says where).
pub(crate) fn compact(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len() / 2);
    let mut i = 0;
    let mut copied_from = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => i = string_end(bytes, i + 1)?.0,
            b' ' | b'\n' | b'\r' | b'\t' => {
                out.extend_from_slice(&bytes[copied_from..i]);
                i = whitespace_end(bytes, i + 1);
                copied_from = i;
                let before = out.last().copied();
                let after = bytes.get(i).copied();
                if before.is_some_and(is_token_byte) && after.is_some_and(is_token_byte) {
                    out.push(b' ');
                }
            }
            _ => i += 1,
        }
    }
    out.extend_from_slice(&bytes[copied_from..]);
    // Less than a tenth saved: not worth the copy.
    if out.len() > bytes.len() / 10 * 9 {
        return None;
    }
    // Only ASCII whitespace between whole characters was removed.
    String::from_utf8(out).ok()
}

/// The index after the closing quote of a string whose content starts at `from`, and
/// whether the string has escapes.
pub(crate) fn string_end(bytes: &[u8], mut from: usize) -> Option<(usize, bool)> {
    let mut escaped = false;
    // Most strings are short (keys, codes, ids): a byte at a time costs less than setting
    // up a vector search for them.
    let short = bytes.len().min(from + 16);
    while from < short {
        match bytes[from] {
            b'"' => return Some((from + 1, escaped)),
            // The next byte is escaped, whatever it is.
            b'\\' => {
                escaped = true;
                from += 2;
            }
            _ => from += 1,
        }
    }
    loop {
        let at = from + memchr::memchr2(b'"', b'\\', bytes.get(from..)?)?;
        if bytes[at] == b'"' {
            return Some((at + 1, escaped));
        }
        escaped = true;
        from = at + 2;
    }
}

/// The index of the first byte at or after `from` that is not whitespace.
pub(crate) fn whitespace_end(bytes: &[u8], mut from: usize) -> usize {
    // Indentation is long runs of spaces: eight at a time.
    while let Some(chunk) = bytes.get(from..from + 8) {
        if chunk != b"        " {
            break;
        }
        from += 8;
    }
    while bytes.get(from).is_some_and(|b| is_whitespace(*b)) {
        from += 1;
    }
    from
}

/// JSON's insignificant whitespace.
pub(crate) fn is_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t')
}

/// Bytes that numbers and the literals `true`, `false` and `null` are made of, or that
/// invalid text might join to them: anything but structure, quotes and whitespace.
fn is_token_byte(b: u8) -> bool {
    !matches!(
        b,
        b'{' | b'}' | b'[' | b']' | b':' | b',' | b'"' | b' ' | b'\n' | b'\r' | b'\t'
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn padded(text: &str) -> String {
        format!("{text}{}", " ".repeat(text.len() * 2))
    }

    #[test]
    fn keeps_the_value_and_drops_the_indentation() {
        let text = "{\n  \"a\" : [ 1 , -2.5e3 ,\ttrue,\r\n null ],\n  \"b\\\" c\": \"  x \\\\\",\n        \"d\": {}\n}";
        let compact = compact(&padded(text)).unwrap();
        assert_eq!(
            compact,
            r#"{"a":[1,-2.5e3,true,null],"b\" c":"  x \\","d":{}}"#
        );
        let parsed: Value = serde_json::from_str(&compact).unwrap();
        assert_eq!(parsed, serde_json::from_str::<Value>(text).unwrap());
    }

    #[test]
    fn never_joins_two_tokens() {
        for text in [
            "[1 2]",
            "[tru e]",
            "[- 1]",
            "[1 .5]",
            "[1 e5]",
            "[nu\nll]",
            "[\"a\" \"b\"]",
        ] {
            let compact = compact(&padded(text)).unwrap();
            assert!(
                serde_json::from_str::<Value>(&compact).is_err(),
                "{compact}"
            );
        }
    }

    #[test]
    fn finds_where_a_string_ends_at_any_offset() {
        for pad in 0..20 {
            let content = "x".repeat(pad);
            let text = format!("{content}\"rest\"");
            assert_eq!(string_end(text.as_bytes(), 0), Some((pad + 1, false)));
            let text = format!("{content}\\\"{content}\\\\\"\"");
            assert_eq!(
                string_end(text.as_bytes(), 0),
                Some((2 * pad + 5, true)),
                "{text}"
            );
            assert_eq!(string_end(content.as_bytes(), 0), None);
            assert_eq!(string_end(format!("{content}\\").as_bytes(), 0), None);
        }
    }

    #[test]
    fn leaves_alone_what_it_cannot_shorten_much_or_read() {
        assert_eq!(compact(r#"{"a":[1,2,3]}"#), None);
        assert_eq!(compact(&padded(r#"{"a":"no end"#)), None);
        assert_eq!(compact(&padded(r#"{"a":"escape at the end\"#)), None);
    }
}
