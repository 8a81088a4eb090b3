/* PSF bitmap fonts (the Linux console format, as shipped in Debian's
 * console-setup-linux and kbd packages): version 1 and version 2 headers,
 * with or without a Unicode table. Plain C over a byte buffer in shared/psf.c
 * (freestanding, like all of shared/), so it is tested and fuzzed on the
 * host (tests/host/test_psf.c, tests/fuzz/fuzz_psf.c); the kernel's
 * framebuffer console is its user.
 *
 * Format (kbd's psf.h, the de facto specification):
 *   PSF1: 4-byte header { 0x36 0x04, mode, charsize }; 256 glyphs, or 512
 *         with PSF1_MODE512; glyphs are 8 pixels wide and `charsize` rows
 *         of one byte. Unicode table (PSF1_MODEHASTAB or PSF1_MODESEQ): per
 *         glyph, 16-bit little-endian code points ending in 0xFFFF, with
 *         0xFFFE introducing combining sequences.
 *   PSF2: 32-byte little-endian header { magic 72 b5 4a 86, version,
 *         headersize, flags, length, charsize, height, width }; rows are
 *         (width + 7) / 8 bytes, most significant bit leftmost. Unicode
 *         table (PSF2_HAS_UNICODE_TABLE): per glyph, UTF-8 code points
 *         ending in 0xFF, with 0xFE introducing sequences. */
#ifndef PAGODA_PSF_H
#define PAGODA_PSF_H

#include "types.h"

#define PSF_MAX_WIDTH   32      /* a glyph row fits a uint32_t */
#define PSF_MAX_HEIGHT  64
#define PSF_MAP_SIZE    256     /* code points mapped: Latin-1, which covers ASCII */

struct psf_font {
    const uint8_t *glyphs;      /* glyph_count * glyph_bytes bytes */
    uint32_t glyph_count;
    uint32_t glyph_bytes;       /* height * row_bytes */
    uint32_t width, height;     /* pixels */
    uint32_t row_bytes;         /* (width + 7) / 8 */
    uint32_t version;           /* 1 or 2 */
    /* map[c] = glyph index for code point c. Without a Unicode table glyph
     * i is code point i; code points the table does not name get the
     * glyph for '?' (or glyph 0 if even that is missing). */
    uint16_t map[PSF_MAP_SIZE];
};

/* Parse a PSF1 or PSF2 file of `size` bytes at `data` (any alignment; the
 * font keeps pointing into it). Checks the magic, the header sizes, that
 * glyph size matches width and height, that width <= PSF_MAX_WIDTH and
 * height <= PSF_MAX_HEIGHT, that every glyph and the whole Unicode table
 * lie inside the buffer. Returns 0, or -E_INVAL and leaves *f unusable. */
int psf_parse(struct psf_font *f, const void *data, size_t size);

/* Bitmap of the glyph for code point c (row_bytes per row, MSB leftmost);
 * code points >= PSF_MAP_SIZE get the replacement glyph. */
const uint8_t *psf_glyph(const struct psf_font *f, uint32_t c);

#endif
