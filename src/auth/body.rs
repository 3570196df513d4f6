//! HTTP bodies with limits: answers read with a size cap while they stream,
//! and request bodies holding secrets in buffers wiped when dropped.

use bytes::Bytes;
use zeroize::Zeroizing;

/// The start of a response body, at most the cap asked for.
pub struct CappedBody {
    /// The bytes read; wiped on drop, as a token answer holds tokens.
    pub bytes: Zeroizing<Vec<u8>>,
    /// Whether the whole body fit under the cap.
    pub complete: bool,
}

/// Reads at most `limit` bytes of `response`'s body, chunk by chunk, and
/// stops there: a body larger than the cap is never held in memory. The
/// client's total timeout still bounds a server that drips slowly.
pub async fn read_capped(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<CappedBody, reqwest::Error> {
    let announced = response.content_length().unwrap_or(0);
    let mut bytes = Zeroizing::new(Vec::with_capacity(
        usize::try_from(announced).unwrap_or(limit).min(limit),
    ));
    while let Some(chunk) = response.chunk().await? {
        let room = limit - bytes.len();
        if chunk.len() > room {
            append_wiping(&mut bytes, &chunk[..room]);
            return Ok(CappedBody {
                bytes,
                complete: false,
            });
        }
        append_wiping(&mut bytes, &chunk);
    }
    Ok(CappedBody {
        bytes,
        complete: true,
    })
}

/// Appends without leaving a copy behind when the buffer grows: a plain
/// `extend` would free the old allocation unwiped.
fn append_wiping(buffer: &mut Zeroizing<Vec<u8>>, more: &[u8]) {
    let needed = buffer.len() + more.len();
    if needed > buffer.capacity() {
        let mut grown = Zeroizing::new(Vec::with_capacity(needed.max(buffer.capacity() * 2)));
        grown.extend_from_slice(buffer);
        // The old buffer is wiped as it drops here.
        *buffer = grown;
    }
    buffer.extend_from_slice(more);
}

/// An `application/x-www-form-urlencoded` body built in one wiped buffer.
///
/// `reqwest`'s `.form()` serialises into a plain `String` that is freed
/// unwiped. This builds the body in a buffer sized up front (so it never
/// reallocates) and hands it to the HTTP stack by ownership: the buffer is
/// wiped when the stack drops its last reference. What remains: the TLS layer
/// encrypts from it in its own buffers, and the kernel's socket buffers are
/// beyond reach.
pub fn secret_form(pairs: &[(&str, &str)]) -> Bytes {
    // Percent-encoding at most triples a byte; `=` and `&` for each pair.
    let capacity = pairs.iter().map(|(k, v)| 3 * (k.len() + v.len()) + 2).sum();
    let mut text = Zeroizing::new(String::with_capacity(capacity));
    {
        let mut form = url::form_urlencoded::Serializer::new(&mut *text);
        form.extend_pairs(pairs);
        form.finish();
    }
    secret_bytes(&text)
}

/// A request body that may hold secrets, handed over in a wiped buffer.
pub fn secret_bytes(text: &str) -> Bytes {
    let mut bytes = Zeroizing::new(Vec::with_capacity(text.len()));
    bytes.extend_from_slice(text.as_bytes());
    Bytes::from_owner(bytes)
}

/// A header value holding a secret (`Basic …`), marked sensitive and owned by
/// a wiped buffer. HTTP/1 still copies headers into its write buffer, unwiped.
pub fn secret_header(value: &str) -> Option<reqwest::header::HeaderValue> {
    let mut bytes = Zeroizing::new(Vec::with_capacity(value.len()));
    bytes.extend_from_slice(value.as_bytes());
    let mut header =
        reqwest::header::HeaderValue::from_maybe_shared(Bytes::from_owner(bytes)).ok()?;
    header.set_sensitive(true);
    Some(header)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_form_encodes_like_any_form() {
        let body = secret_form(&[
            ("grant_type", "client_credentials"),
            ("client_secret", "a b&c=é"),
        ]);
        assert_eq!(
            &body[..],
            b"grant_type=client_credentials&client_secret=a+b%26c%3D%C3%A9"
        );
    }

    #[test]
    fn appending_keeps_every_byte() {
        let mut buffer = Zeroizing::new(Vec::with_capacity(1));
        for chunk in [&b"ab"[..], b"cde", b"", b"fghij"] {
            append_wiping(&mut buffer, chunk);
        }
        assert_eq!(&buffer[..], b"abcdefghij");
    }
}
