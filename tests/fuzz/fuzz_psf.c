/* libFuzzer harness for psf_parse and psf_glyph (shared/psf.c).
 *
 * The input is copied into an allocation of exactly its size, so ASan
 * reports a read of even one byte past the end. Whatever it is, psf_parse
 * returns 0 or -E_INVAL. When it accepts, the promises of include/psf.h are
 * re-checked here, independently of how psf.c keeps them:
 *  - version 1 or 2; 1 <= width <= PSF_MAX_WIDTH, 1 <= height <=
 *    PSF_MAX_HEIGHT; row_bytes and glyph_bytes follow from them;
 *  - at least one glyph, and every glyph inside the input;
 *  - PSF1: 8 pixels wide, 256 or 512 glyphs right after the 4-byte header;
 *  - every map entry names a glyph, and psf_glyph of any code point (mapped
 *    or not) returns a whole glyph inside the input, whose bytes are read.
 *
 * Every input is tried three times: as a file on its own, and XORed over
 * two built-in valid fonts with Unicode tables (a PSF1 and a PSF2). As in
 * fuzz_elf, the XOR passes let a run from an empty corpus reach the table
 * parsers and the accepted-font checks at once: an all-zero input is the
 * valid font, and each mutation flips a field of it.
 *
 * Build: make build/fuzz/fuzz_psf
 * Run:   build/fuzz/fuzz_psf -max_total_time=60 CORPUS_DIR
 * Seeds: any console font, e.g. gunzip -c /usr/share/consolefonts/X.psf.gz.
 */
#include "fuzz_common.h"
#include "psf.h"

/* Code points beyond the map, which must get the replacement glyph. */
static const uint32_t far_code_points[] = { PSF_MAP_SIZE, 0x20AC, 0x10FFFF, UINT32_MAX };

static void check_glyph(const struct psf_font *f, const uint8_t *file, size_t size, uint32_t cp)
{
    const uint8_t *g = psf_glyph(f, cp);
    volatile uint8_t sum = 0;

    REQUIRE(g >= f->glyphs && (size_t)(g - f->glyphs) % f->glyph_bytes == 0);
    REQUIRE(g + f->glyph_bytes <= file + size);
    for (uint32_t i = 0; i < f->glyph_bytes; i++)
        sum ^= g[i];    /* ASan checks the glyph really is readable */
    (void)sum;
}

static void check_font(const struct psf_font *f, const uint8_t *file, size_t size)
{
    REQUIRE(f->version == 1 || f->version == 2);
    REQUIRE(f->width >= 1 && f->width <= PSF_MAX_WIDTH);
    REQUIRE(f->height >= 1 && f->height <= PSF_MAX_HEIGHT);
    REQUIRE(f->row_bytes == (f->width + 7) / 8);
    REQUIRE(f->glyph_bytes == f->height * f->row_bytes);
    REQUIRE(f->glyph_count >= 1);
    REQUIRE(f->glyphs >= file && f->glyphs <= file + size);
    REQUIRE(f->glyph_count <= (size_t)(file + size - f->glyphs) / f->glyph_bytes);
    if (f->version == 1) {
        REQUIRE(f->width == 8);
        REQUIRE(f->glyph_count == 256 || f->glyph_count == 512);
        REQUIRE(f->glyphs == file + 4);
    }
    for (uint32_t c = 0; c < PSF_MAP_SIZE; c++) {
        REQUIRE(f->map[c] < f->glyph_count);
        check_glyph(f, file, size, c);
    }
    for (size_t i = 0; i < ARRAY_LEN(far_code_points); i++)
        REQUIRE(psf_glyph(f, far_code_points[i]) == psf_glyph(f, '?'));
}

/* `file` is an allocation of exactly `size` bytes (or NULL if 0). */
static void check_file(const uint8_t *file, size_t size)
{
    struct psf_font f;
    int rc = psf_parse(&f, file, size);

    REQUIRE(rc == 0 || rc == -E_INVAL);
    if (rc == 0)
        check_font(&f, file, size);
}

/* ---- the templates ------------------------------------------------------- */

/* PSF1, 256 glyphs of 8x2, Unicode table (mode 0x02): glyph g names code
 * point g, glyph '?' also a combining sequence after 0xFFFE. */
#define PSF1_HEIGHT     2
#define PSF1_TEMPLATE   (4 + 256 * PSF1_HEIGHT + 256 * 4 + 4)

static void psf1_template(uint8_t *t)
{
    size_t n = 0;

    t[n++] = 0x36, t[n++] = 0x04, t[n++] = 0x02, t[n++] = PSF1_HEIGHT;
    for (size_t i = 0; i < 256 * PSF1_HEIGHT; i++)
        t[n++] = (uint8_t)(0x81 ^ i);
    for (uint32_t g = 0; g < 256; g++) {
        t[n++] = (uint8_t)g, t[n++] = 0;
        if (g == '?')
            t[n++] = 0xFE, t[n++] = 0xFF, t[n++] = 'a', t[n++] = 0x03;
        t[n++] = 0xFF, t[n++] = 0xFF;
    }
    REQUIRE(n == PSF1_TEMPLATE);
}

/* PSF2, 4 glyphs of 10x4 (two bytes a row), Unicode table in UTF-8. */
static const uint8_t psf2_table[] = {
    '?', 0xFF, 'A', 0xC3, 0x81, 0xFF, 'B', 0xE2, 0x82, 0xAC, 0xFE, 'b', 0xFF,
    0xF0, 0x9F, 0x98, 0x80, 'C', 0xFF,
};
#define PSF2_GLYPHS     4
#define PSF2_CHARSIZE   (4 * 2)
#define PSF2_TEMPLATE   (32 + PSF2_GLYPHS * PSF2_CHARSIZE + sizeof(psf2_table))

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void psf2_template(uint8_t *t)
{
    static const uint32_t header[8] = { 0x864AB572, 0, 32, 1, PSF2_GLYPHS, PSF2_CHARSIZE, 4, 10 };

    for (int i = 0; i < 8; i++)
        put_le32(t + 4 * i, header[i]);
    for (size_t i = 0; i < PSF2_GLYPHS * PSF2_CHARSIZE; i++)
        t[32 + i] = (uint8_t)(0xC3 ^ i);
    memcpy(t + 32 + PSF2_GLYPHS * PSF2_CHARSIZE, psf2_table, sizeof(psf2_table));
}

/* ---- entry point ---------------------------------------------------------- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_check_copy(data, size, check_file);
    fuzz_check_xor(data, size, psf1_template, PSF1_TEMPLATE, check_file);
    fuzz_check_xor(data, size, psf2_template, PSF2_TEMPLATE, check_file);
    return 0;
}
