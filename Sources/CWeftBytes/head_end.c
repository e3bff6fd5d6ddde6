// Where a head ends, its line feeds found sixteen bytes at a time where the CPU has SSE2: a head
// of a dozen lines was a `memchr` call a line (~60 instructions each) before.
#include "CWeftBytes.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

// The LF at `at`: -2 when its CR is missing, the offset past it when it ends an empty line, else -1.
static inline ptrdiff_t line_feed(const uint8_t *bytes, size_t at) {
    if (at == 0 || bytes[at - 1] != '\r') return -2;
    if (at >= 3 && bytes[at - 2] == '\n' && bytes[at - 3] == '\r') return (ptrdiff_t)at + 1;
    return -1;
}

ptrdiff_t weft_head_end(const uint8_t *bytes, size_t count, size_t from) {
    size_t index = from;
#if defined(__SSE2__)
    const __m128i lf = _mm_set1_epi8('\n');
    while (index + 16 <= count) {
        unsigned found = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(bytes + index)), lf));
        while (found != 0) {
            ptrdiff_t end = line_feed(bytes, index + (size_t)__builtin_ctz(found));
            if (end != -1) return end;
            found &= found - 1;
        }
        index += 16;
    }
#endif
    for (; index < count; index += 1) {
        if (bytes[index] != '\n') continue;
        ptrdiff_t end = line_feed(bytes, index);
        if (end != -1) return end;
    }
    return -1;
}

ptrdiff_t weft_first_line_end(const uint8_t *bytes, size_t count) {
    size_t index = 0;
#if defined(__SSE2__)
    const __m128i lf = _mm_set1_epi8('\n');
    while (index + 16 <= count) {
        unsigned found = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(bytes + index)), lf));
        if (found != 0) {
            index += (size_t)__builtin_ctz(found);
            return index > 0 && bytes[index - 1] == '\r' ? (ptrdiff_t)index - 1 : -2;
        }
        index += 16;
    }
#endif
    for (; index < count; index += 1) {
        if (bytes[index] == '\n') return index > 0 && bytes[index - 1] == '\r' ? (ptrdiff_t)index - 1 : -2;
    }
    return -1;
}
