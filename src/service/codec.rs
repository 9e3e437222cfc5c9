//! The protobuf codec of paratag's own services (`paratag.v1`): prost's encoding, except that a
//! request body that is not a valid message (a broken wire format, invalid UTF-8 in a string
//! field) is the caller's mistake and is answered `INVALID_ARGUMENT`, naming the field when the
//! decoder knows it. (tonic's default codec answers `INTERNAL`, which callers read as a bug in
//! the server.) Generated clients share the codec, so they would report a malformed answer the
//! same way; paratag's server only sends messages prost encoded.

use crate::error::Error;
use prost::Message;
use std::marker::PhantomData;
use tonic::Status;
use tonic::codec::{BufferSettings, Codec, DecodeBuf, Decoder};
use tonic_prost::ProstEncoder;

/// prost's codec with bad request bodies answered `INVALID_ARGUMENT` (see the module docs).
#[derive(Debug, Clone, Copy)]
pub struct RequestCodec<T, U>(PhantomData<(T, U)>);

impl<T, U> Default for RequestCodec<T, U> {
    fn default() -> Self {
        RequestCodec(PhantomData)
    }
}

impl<T, U> Codec for RequestCodec<T, U>
where
    T: Message + Send + 'static,
    U: Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = ProstEncoder<T>;
    type Decoder = RequestDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        ProstEncoder::default()
    }

    fn decoder(&mut self) -> Self::Decoder {
        RequestDecoder(PhantomData)
    }
}

/// Decodes one message, turning a decode failure into `INVALID_ARGUMENT`.
#[derive(Debug, Clone, Copy)]
pub struct RequestDecoder<U>(PhantomData<U>);

impl<U: Message + Default> Decoder for RequestDecoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        U::decode(buf)
            .map(Some)
            .map_err(|e| Status::from(malformed(&e)))
    }

    fn buffer_settings(&self) -> BufferSettings {
        BufferSettings::default()
    }
}

/// The caller's error for a body prost could not decode. prost's message reads
/// `failed to decode Protobuf message: Inner.field: Outer.field: what went wrong`, innermost
/// field first; the field path is given outermost first (`features.key_terms`), or `request`
/// when the failure is not inside a field.
fn malformed(e: &prost::DecodeError) -> Error {
    let shown = e.to_string();
    let mut rest = shown
        .strip_prefix("failed to decode Protobuf message: ")
        .unwrap_or(&shown);
    let mut fields = Vec::new();
    while let Some((head, tail)) = rest.split_once(": ") {
        let Some((message, field)) = head.split_once('.') else {
            break;
        };
        let is_name =
            |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !is_name(message) || !is_name(field) {
            break;
        }
        fields.push(field);
        rest = tail;
    }
    fields.reverse();
    let field = if fields.is_empty() {
        "request".to_owned()
    } else {
        fields.join(".")
    };
    let reason = if rest.contains("UTF-8") {
        "is not valid UTF-8 (strings must be UTF-8 encoded)".to_owned()
    } else {
        format!("is not a valid protobuf encoding ({rest})")
    };
    Error::invalid(field, reason)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::pb;

    fn decode_error<M: Message + Default>(bytes: &[u8]) -> Error {
        match M::decode(bytes) {
            Ok(_) => panic!("the bytes decoded"),
            Err(e) => malformed(&e),
        }
    }

    #[test]
    fn invalid_utf8_names_the_string_field() {
        // Field 1 (text), length-delimited, 2 bytes that are not UTF-8.
        let e = decode_error::<pb::ClassifyRequest>(&[0x0a, 0x02, 0xff, 0xfe]);
        assert_eq!(
            e.to_string(),
            "text: is not valid UTF-8 (strings must be UTF-8 encoded)"
        );
    }

    #[test]
    fn a_nested_field_is_named_outermost_first() {
        // ExtractRequest.features (field 5) holding key_terms (field 4) with a cut-off varint.
        let e = decode_error::<pb::ExtractRequest>(&[0x2a, 0x02, 0x20, 0xff]);
        match e {
            Error::InvalidArgument { field, .. } => assert_eq!(field, "features.key_terms"),
            other => panic!("{other}"),
        }
    }

    #[test]
    fn a_broken_body_is_the_request_s_fault() {
        // A length prefix that runs past the end of the body.
        let e = decode_error::<pb::ClassifyRequest>(&[0x0a, 0x10, b'a']);
        let shown = e.to_string();
        assert!(
            matches!(e, Error::InvalidArgument { .. }) && shown.contains("not a valid protobuf"),
            "{shown}"
        );
    }
}
