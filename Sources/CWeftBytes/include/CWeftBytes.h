#ifndef CWEFTBYTES_H
#define CWEFTBYTES_H

#include <stddef.h>
#include <stdint.h>

/// One field line of a head, as offsets into its lines: the name `line ..< nameEnd`, the value
/// `valueStart ..< valueEnd` without surrounding whitespace, `lineEnd` just past its CRLF; `tag`
/// the name's tag (`weft_name_tag`). The same layout as WeftModel's `HeaderFields.Field`.
typedef struct {
    int32_t line;
    int32_t nameEnd;
    int32_t valueStart;
    int32_t valueEnd;
    int32_t lineEnd;
    uint32_t tag;
} weft_header_field;

/// A name's tag, as `HeaderFields.nameTag` makes it: its length (up to 255) and its first, middle
/// and last bytes with the case bit set, one byte each. Two names with different tags differ (in
/// any case); a lookup compares tags and only a name whose tag is the one sought byte by byte.
static inline uint32_t weft_name_tag(const uint8_t *name, size_t count) {
    if (count == 0) return 0;
    uint32_t length = count < 255 ? (uint32_t)count : 255;
    return length | (uint32_t)(name[0] | 0x20) << 8 | (uint32_t)(name[count / 2] | 0x20) << 16 |
           (uint32_t)(name[count - 1] | 0x20) << 24;
}

/// A tag's bit in a head's 64-bit mask of names (`HeaderFields.nameBit`): the top six bits of the
/// tag multiplied by a large odd constant.
static inline uint64_t weft_name_bit(uint32_t tag) {
    return 1ULL << ((uint32_t)(tag * 0x9E3779B1u) >> 26);
}

/// How a scan of field lines ended.
typedef enum {
    /// Every line is a field HTTP/1.1 allows: `*count` fields, their names' bits (`weft_name_bit`) in `*bits`.
    weft_scan_fields = 0,
    /// A line HTTP/1.1 refuses: a name that is not a token, no colon, a control character in a value, a lone CR or LF.
    weft_scan_invalid = 1,
    /// More fields than `capacity`.
    weft_scan_overflow = 2,
    /// The bytes end before the empty line that ends the head (`weft_scan_head_fields` only).
    weft_scan_incomplete = 3,
} weft_scan_result;

/// Indexes `lines` (the field lines of a head, each ending in CRLF) into `fields`, checking each
/// as RFC 9112 §5 allows it; `*bits` gets each name's bit (`weft_name_bit`).
weft_scan_result weft_scan_header_fields(const uint8_t *lines, size_t count, weft_header_field *fields, size_t capacity,
                                         size_t *fieldCount, uint64_t *bits);

/// The field lines of a head that starts at `bytes` (just past its start line's CRLF), read as
/// `weft_scan_header_fields` reads them, up to the empty line that ends the head: `*headEnd` gets
/// the offset just past it. One pass finds the head's end and indexes its fields when the head is
/// all there; `weft_scan_incomplete` when the bytes end first.
weft_scan_result weft_scan_head_fields(const uint8_t *bytes, size_t count, weft_header_field *fields, size_t capacity,
                                       size_t *fieldCount, uint64_t *bits, size_t *headEnd);

/// Where the first line of `bytes` ends: the offset of the CR of its CRLF; -1 when no line feed
/// is there yet; -2 when the first line feed comes without its carriage return.
ptrdiff_t weft_first_line_end(const uint8_t *bytes, size_t count);

/// Where a head ends in `bytes`, searching from `from`: the offset just past the CRLF of its empty
/// line; -1 when it is not there yet; -2 when a line feed comes without its carriage return.
ptrdiff_t weft_head_end(const uint8_t *bytes, size_t count, size_t from);

#endif
