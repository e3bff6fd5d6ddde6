// The scan of a head's field lines, sixteen bytes at a time where the CPU has SSE2 (every x86-64
// does): a value's bytes are checked for control characters and a name's for token bytes with a
// handful of instructions per sixteen, where Swift's SIMD types gave no mask-to-bits operation and
// eight-byte words in Swift cost ~1.5 instructions a byte. Elsewhere, a byte at a time.
#include "CWeftBytes.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

// RFC 9110 tchar, a bit per byte below 64 and from 64 to 127 (as HTTPToken's tables).
static const uint64_t token_bits_low = 0x03FF6CFA00000000ULL;
static const uint64_t token_bits_high = 0x57FFFFFFC7FFFFFEULL;

static inline int is_token_byte(uint8_t byte) {
    return byte < 64 ? (int)((token_bits_low >> byte) & 1) : byte < 128 && ((token_bits_high >> (byte - 64)) & 1);
}

static inline int is_common_name_byte(uint8_t byte) {
    return (uint8_t)((byte | 0x20) - 'a') < 26 || (uint8_t)(byte - '0') < 10 || byte == '-';
}

// The first byte from `index` that is not a token byte, or `end`. Names are nearly all letters,
// digits and '-': sixteen such pass at once, and the first other byte is tested alone.
static inline size_t token_run_end(const uint8_t *bytes, size_t end, size_t index) {
#if defined(__SSE2__)
    const __m128i caseBit = _mm_set1_epi8(0x20), a = _mm_set1_epi8('a'), letters = _mm_set1_epi8(25);
    const __m128i zero = _mm_set1_epi8('0'), digits = _mm_set1_epi8(9), dash = _mm_set1_epi8('-');
    while (index + 16 <= end) {
        __m128i word = _mm_loadu_si128((const __m128i *)(bytes + index));
        // Unsigned "at most": min(x, limit) == x.
        __m128i letter = _mm_sub_epi8(_mm_or_si128(word, caseBit), a);
        __m128i isLetter = _mm_cmpeq_epi8(_mm_min_epu8(letter, letters), letter);
        __m128i digit = _mm_sub_epi8(word, zero);
        __m128i isDigit = _mm_cmpeq_epi8(_mm_min_epu8(digit, digits), digit);
        __m128i isDash = _mm_cmpeq_epi8(word, dash);
        unsigned common = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(isLetter, isDigit), isDash));
        if (common == 0xFFFF) {
            index += 16;
            continue;
        }
        index += (size_t)__builtin_ctz(~common);
        if (!is_token_byte(bytes[index])) return index;
        index += 1;
    }
#endif
    while (index < end && (is_common_name_byte(bytes[index]) || is_token_byte(bytes[index]))) index += 1;
    return index;
}

// The first byte from `index` that is a control character (below 0x20) or DEL, or `end`.
static inline size_t first_control_byte(const uint8_t *bytes, size_t end, size_t index) {
#if defined(__SSE2__)
    const __m128i controls = _mm_set1_epi8(0x1F), del = _mm_set1_epi8(0x7F);
    while (index + 16 <= end) {
        __m128i word = _mm_loadu_si128((const __m128i *)(bytes + index));
        __m128i isControl = _mm_cmpeq_epi8(_mm_min_epu8(word, controls), word);
        unsigned flagged = (unsigned)_mm_movemask_epi8(_mm_or_si128(isControl, _mm_cmpeq_epi8(word, del)));
        if (flagged != 0) return index + (size_t)__builtin_ctz(flagged);
        index += 16;
    }
#endif
    while (index < end && bytes[index] >= 0x20 && bytes[index] != 0x7F) index += 1;
    return index;
}

// One field line from `index`: checked and indexed into `*field`; the offset just past its CRLF,
// or -1 (a line HTTP/1.1 refuses) or -2 (the bytes end within the line).
__attribute__((always_inline)) static inline ptrdiff_t scan_field_line(const uint8_t *bytes, size_t end, size_t index, weft_header_field *field, uint64_t *seen) {
    size_t line = index;
    index = token_run_end(bytes, end, index);
    if (index >= end) return -2;
    if (index == line || bytes[index] != ':') return -1;
    size_t nameEnd = index;
    uint32_t tag = weft_name_tag(bytes + line, nameEnd - line);
    *seen |= weft_name_bit(tag);
    index += 1;
    while (index < end && (bytes[index] == ' ' || bytes[index] == '\t')) index += 1;
    size_t valueStart = index;
    // A tab goes on; the CR ends the value; any other control character (a NUL, a lone LF) or DEL is refused.
    for (;;) {
        index = first_control_byte(bytes, end, index);
        if (index >= end) return -2;
        if (bytes[index] == '\t') {
            index += 1;
            continue;
        }
        if (bytes[index] != '\r') return -1;
        break;
    }
    size_t valueEnd = index;
    while (valueEnd > valueStart && (bytes[valueEnd - 1] == ' ' || bytes[valueEnd - 1] == '\t')) valueEnd -= 1;
    if (index + 1 >= end) return -2;
    if (bytes[index + 1] != '\n') return -1;
    index += 2;
    *field = (weft_header_field){(int32_t)line, (int32_t)nameEnd, (int32_t)valueStart, (int32_t)valueEnd, (int32_t)index, tag};
    return (ptrdiff_t)index;
}

weft_scan_result weft_scan_header_fields(const uint8_t *bytes, size_t end, weft_header_field *fields, size_t capacity,
                                         size_t *fieldCount, uint64_t *bits) {
    size_t count = 0;
    uint64_t seen = 0;
    size_t index = 0;
    while (index < end) {
        weft_header_field field;
        // The lines end at `end` with their CRLF: a line cut short there is one HTTP/1.1 refuses.
        ptrdiff_t next = scan_field_line(bytes, end, index, &field, &seen);
        if (next < 0) return weft_scan_invalid;
        if (count >= capacity) return weft_scan_overflow;
        fields[count] = field;
        count += 1;
        index = (size_t)next;
    }
    *fieldCount = count;
    *bits = seen;
    return weft_scan_fields;
}

weft_scan_result weft_scan_head_fields(const uint8_t *bytes, size_t end, weft_header_field *fields, size_t capacity,
                                       size_t *fieldCount, uint64_t *bits, size_t *headEnd) {
    size_t count = 0;
    uint64_t seen = 0;
    size_t index = 0;
    for (;;) {
        if (index + 1 >= end) return weft_scan_incomplete;
        if (bytes[index] == '\r') {
            if (bytes[index + 1] != '\n') return weft_scan_invalid;
            *fieldCount = count;
            *bits = seen;
            *headEnd = index + 2;
            return weft_scan_fields;
        }
        weft_header_field field;
        ptrdiff_t next = scan_field_line(bytes, end, index, &field, &seen);
        if (next == -2) return weft_scan_incomplete;
        if (next < 0) return weft_scan_invalid;
        if (count >= capacity) return weft_scan_overflow;
        fields[count] = field;
        count += 1;
        index = (size_t)next;
    }
}
